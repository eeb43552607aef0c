#include "export/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace copyscope {

namespace {

struct Split {
  std::string dir, name;
};

Split split_path(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

OutputFile::OutputFile(const std::string& path, std::string_view what) : path_(path), what_(what) {
  const Split sp = split_path(path);
  name_ = sp.name;
  if (name_.empty() || name_ == "." || name_ == "..")
    throw OutputError("cannot write " + what_ + " " + path + ": not a file name");
  dir_fd_ = open(sp.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw OutputError("cannot write " + what_ + " " + path + ": " + sp.dir + ": " + errno_text(errno));
  struct stat st {};
  if (fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    close(dir_fd_);
    throw OutputError("cannot write " + what_ + " " + path + ": it is a directory");
  }
  std::random_device rd;
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
    temp_ = "." + name_.substr(0, 200) + ".tmp-" + suffix;
    fd_ = openat(dir_fd_, temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    const int e = errno;
    close(dir_fd_);
    throw OutputError("cannot write " + what_ + " " + path + ": " + errno_text(e));
  }
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_ && !temp_.empty() && dir_fd_ >= 0) unlinkat(dir_fd_, temp_.c_str(), 0);
  if (dir_fd_ >= 0) close(dir_fd_);
}

void OutputFile::fail(const std::string& why) { throw OutputError("cannot write " + what_ + " " + path_ + ": " + why); }

void OutputFile::write(std::string_view data) {
  if (committed_ || fd_ < 0) fail("already closed");
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(errno_text(n < 0 ? errno : EIO));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void OutputFile::commit() {
  if (committed_) return;
  if (fsync(fd_) != 0) fail(errno_text(errno));
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) fail(errno_text(errno));
  if (renameat(dir_fd_, temp_.c_str(), dir_fd_, name_.c_str()) != 0) fail(errno_text(errno));
  committed_ = true;
}

void write_output(const std::string& path, std::string_view data, std::string_view what) {
  OutputFile out(path, what);
  out.write(data);
  out.commit();
}

void check_output_path(const std::string& path, std::string_view what) {
  const Split sp = split_path(path);
  const std::string w(what);
  if (sp.name.empty() || sp.name == "." || sp.name == "..")
    throw OutputError("cannot write " + w + " " + path + ": not a file name");
  struct stat st {};
  if (stat(sp.dir.c_str(), &st) != 0)
    throw OutputError("cannot write " + w + " " + path + ": " + sp.dir + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode)) throw OutputError("cannot write " + w + " " + path + ": " + sp.dir + " is not a directory");
  if (access(sp.dir.c_str(), W_OK | X_OK) != 0)
    throw OutputError("cannot write " + w + " " + path + ": " + sp.dir + ": " + errno_text(errno));
  if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw OutputError("cannot write " + w + " " + path + ": it is a directory");
}

}  // namespace copyscope
