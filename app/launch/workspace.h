// A private temp directory for one run, removed with everything in it.
//
// copyscope runs as root, so its temp directory is a target: everything in it
// is opened relative to the directory's fd with O_NOFOLLOW (O_EXCL when
// created), the directory holding it must not let others swap entries (a
// world-writable TMPDIR needs the sticky bit), and a workspace whose owner was
// killed (kill -9 leaves it behind) is removed by the next run.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace copyscope {

// The temp directory cannot be used safely (or at all); what() is one line
// with what to do instead. The CLI exits 2 with it.
class WorkspaceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// $TMPDIR, or /tmp when it is unset or empty.
std::string temp_root();
// Throws WorkspaceError when `dir` or a directory above it can be written by
// others without the sticky bit, or belongs to another user (other than root):
// they could rename the workspace and put something of theirs in its place.
// Returns `dir` with every symlink resolved (the path that was checked).
std::string check_temp_root(const std::string& dir);

class Workspace {
 public:
  // Checks temp_root(), removes stale workspaces of dead owners in it, then
  // mkdtemp(copyscope.XXXXXX) and an owner file. Throws WorkspaceError.
  Workspace();
  // The workspace of the process that started us (copyscope-capture): its
  // directory fd, which must be a directory of our uid that only we can
  // enter, and its path, which must name that same directory (no symlink).
  // Left in place when destroyed: its creator removes it.
  Workspace(int adopted_fd, const std::string& dir);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  const std::string& dir() const { return dir_; }
  int fd() const { return fd_; }  // O_DIRECTORY: open everything in it with openat
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  uint64_t free_bytes() const;

 private:
  std::string dir_, name_;
  int parent_fd_ = -1, fd_ = -1, owner_fd_ = -1;
};

// The name prefix of every workspace (mkdtemp's template without the X's) and
// the file in it naming its owner: "PID START_TIME\n", START_TIME being field 22
// of /proc/PID/stat. The owner also holds an flock on it while it lives.
inline constexpr const char* kWorkspacePrefix = "copyscope.";
inline constexpr const char* kOwnerFile = "copyscope.owner";

// Field 22 of /proc/PID/stat (clock ticks after boot), 0 when there is no such process.
uint64_t process_start_time(pid_t pid);

// Removes the workspaces in the directory `root_fd` whose owner is gone (no
// such pid, or a pid with another start time, and its lock not held): only
// directories named like ours, owned by our uid, never through a symlink.
// Returns how many were removed.
unsigned remove_stale_workspaces(int root_fd);

// Writes `size` bytes of pseudo-random data (not compressible, not zero pages)
// to a new file `name` in the directory dir_fd (O_EXCL | O_NOFOLLOW) and waits
// until they are on disk. Stops early (leaving a short file) when *cancel
// becomes true, within one step of 64 MiB written back.
// `on_written` (when set) is told the bytes written so far, after each MiB.
void create_random_file(int dir_fd, const std::string& name, uint64_t size, const std::atomic<bool>* cancel = nullptr,
                        const std::function<void(uint64_t)>& on_written = {});

// Cache state of one file in dir_fd: evict it (cold) or read it in (warm).
// Returns the pages resident afterwards, checked with mincore(). A warm read
// stops early when *cancel becomes true.
struct CacheState {
  uint64_t resident_pages = 0;
  uint64_t total_pages = 0;
};
CacheState prepare_cache(int dir_fd, const std::string& name, bool warm, const std::atomic<bool>* cancel = nullptr);
CacheState cache_state(int dir_fd, const std::string& name);

}  // namespace copyscope
