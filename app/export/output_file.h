// Every file copyscope writes for the user (trace, CSV, report, its charts)
// goes through OutputFile: a fresh temp name in the target's own directory,
// opened relative to that directory's fd with O_CREAT | O_EXCL | O_NOFOLLOW,
// renamed over the target only on commit(). A planted symlink is never
// followed (rename replaces the link itself), and an export that fails or is
// interrupted leaves no partial file behind.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace copyscope {

// One line, meant for the user: what could not be written and why.
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class OutputFile {
 public:
  // `what` names the output in messages ("trace", "report"). Throws OutputError.
  OutputFile(const std::string& path, std::string_view what);
  ~OutputFile();  // not committed: the temp file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view data);  // throws OutputError (e.g. disk full)
  int fd() const { return fd_; }
  // Flushes to disk and renames the temp file to the target. Throws OutputError.
  void commit();
  const std::string& path() const { return path_; }

 private:
  void fail(const std::string& why);
  std::string path_, what_, name_, temp_;
  int dir_fd_ = -1, fd_ = -1;
  bool committed_ = false;
};

// The whole file at once.
void write_output(const std::string& path, std::string_view data, std::string_view what);

// Before a run: can `path` be written? Its directory must exist and be
// writable, and `path` must not be a directory. Throws OutputError.
void check_output_path(const std::string& path, std::string_view what);

}  // namespace copyscope
