#include "launch/workspace.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace copyscope {

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

constexpr uint64_t kWritebackStep = 64ull << 20;
// mkdtemp's six random characters after the prefix.
constexpr size_t kTemplateX = 6;
// A workspace gets its owner file right after mkdtemp; one without it that is
// older than this was left by a copyscope killed in between (or by a version
// before owner files), not one being created now.
constexpr time_t kOwnerlessGraceS = 60;
// Workspaces hold files; a deeper tree was not made by copyscope.
constexpr int kMaxDepth = 16;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

// Everything in directory `name` of parent_fd, then the directory itself;
// never through a symlink (each level is opened with O_NOFOLLOW). Best effort.
void remove_tree(int parent_fd, const char* name, int depth) {
  const int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    if (DIR* d = fdopendir(fd)) {
      std::vector<std::string> dirs;
      while (dirent* e = readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        struct stat st {};
        if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode))
          dirs.emplace_back(e->d_name);
        else
          unlinkat(fd, e->d_name, 0);
      }
      if (depth < kMaxDepth)
        for (const std::string& sub : dirs) remove_tree(fd, sub.c_str(), depth + 1);
      closedir(d);  // closes fd
    } else {
      close(fd);
    }
  }
  unlinkat(parent_fd, name, AT_REMOVEDIR);
}

bool looks_like_workspace(const char* name) {
  const size_t prefix = std::strlen(kWorkspacePrefix);
  if (std::strncmp(name, kWorkspacePrefix, prefix) != 0 || std::strlen(name) != prefix + kTemplateX) return false;
  for (const char* c = name + prefix; *c; ++c)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) return false;
  return true;
}

// Is the workspace `name` in root_fd left behind by an owner that is gone?
bool is_stale(int root_fd, const char* name, const struct stat& dir_st) {
  Fd dir{openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (dir.fd < 0) return false;
  struct stat st {};
  if (fstat(dir.fd, &st) != 0 || st.st_dev != dir_st.st_dev || st.st_ino != dir_st.st_ino) return false;
  Fd owner{openat(dir.fd, kOwnerFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (owner.fd < 0) return errno == ENOENT && time(nullptr) - st.st_mtime > kOwnerlessGraceS;
  struct stat ost {};
  if (fstat(owner.fd, &ost) != 0 || !S_ISREG(ost.st_mode) || ost.st_uid != geteuid()) return false;
  // A live owner holds the lock, whatever pid namespace it runs in.
  if (flock(owner.fd, LOCK_EX | LOCK_NB) != 0) return false;
  char text[64] = {};
  const ssize_t n = read(owner.fd, text, sizeof text - 1);
  unsigned long long pid = 0, start = 0;
  if (n <= 0 || std::sscanf(text, "%llu %llu", &pid, &start) != 2 || pid == 0)
    return time(nullptr) - st.st_mtime > kOwnerlessGraceS;
  return process_start_time(static_cast<pid_t>(pid)) != start;
}

}  // namespace

std::string temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

std::string check_temp_root(const std::string& dir) {
  const bool from_env = std::getenv("TMPDIR") && *std::getenv("TMPDIR");
  const std::string label = from_env ? "TMPDIR=" + dir : "the temp directory " + dir;
  char* real = realpath(dir.c_str(), nullptr);
  if (!real)
    throw WorkspaceError(label + " cannot be used: " + std::strerror(errno) +
                         "; set TMPDIR to an existing directory of yours");
  const std::string resolved = real;
  std::free(real);
  for (std::string p = resolved;; p = parent_of(p)) {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0)
      throw WorkspaceError(label + ": " + p + ": " + std::strerror(errno) + "; set TMPDIR to a directory of yours");
    if (p == resolved && !S_ISDIR(st.st_mode))
      throw WorkspaceError(label + " is not a directory; set TMPDIR to a directory of yours");
    const std::string where = p == resolved ? label + " is" : label + " is inside " + p + ", which is";
    const bool sticky = st.st_mode & S_ISVTX;
    if ((st.st_mode & S_IWOTH) && !sticky)
      throw WorkspaceError(where +
                           " world-writable without the sticky bit: another user could swap the workspace; use a "
                           "private directory or chmod +t " +
                           p);
    if ((st.st_mode & S_IWGRP) && !sticky && st.st_gid != getegid())
      throw WorkspaceError(where + " writable by group " + std::to_string(st.st_gid) +
                           " without the sticky bit: another user could swap the workspace; use a private directory "
                           "or chmod +t " +
                           p);
    if (st.st_uid != 0 && st.st_uid != geteuid())
      throw WorkspaceError(where + " owned by user " + std::to_string(st.st_uid) +
                           ", who could swap the workspace; use a directory of your own (or /tmp)");
    if (p == "/") break;
  }
  return resolved;
}

uint64_t process_start_time(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces and ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return 0;
  return std::strtoull(field.c_str(), nullptr, 10);
}

unsigned remove_stale_workspaces(int root_fd) {
  const int fd = dup(root_fd);
  if (fd < 0) return 0;
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return 0;
  }
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    if (!looks_like_workspace(e->d_name)) continue;
    struct stat st {};
    if (fstatat(root_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
      continue;
    if (is_stale(root_fd, e->d_name, st)) stale.emplace_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : stale) remove_tree(root_fd, name.c_str(), 0);
  return static_cast<unsigned>(stale.size());
}

Workspace::Workspace() {
  // The resolved path from here on: a symlink on the way cannot be swapped
  // between the check and the scenario's use of the path.
  const std::string root = check_temp_root(temp_root());
  parent_fd_ = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (parent_fd_ < 0)
    throw WorkspaceError("cannot open the temp directory " + root + ": " + std::strerror(errno) +
                         "; set TMPDIR to a directory of yours");
  struct stat checked {
  }, opened{};
  if (stat(root.c_str(), &checked) != 0 || fstat(parent_fd_, &opened) != 0 || checked.st_dev != opened.st_dev ||
      checked.st_ino != opened.st_ino) {
    close(parent_fd_);
    throw WorkspaceError("the temp directory " + root + " changed while it was checked; use a private TMPDIR");
  }
  remove_stale_workspaces(parent_fd_);
  std::string templ = root + "/" + kWorkspacePrefix + std::string(kTemplateX, 'X');
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    const int e = errno;
    close(parent_fd_);
    throw WorkspaceError("cannot create a temp directory in " + root + ": " + std::strerror(e) +
                         "; set TMPDIR to a writable directory");
  }
  dir_ = buf.data();
  name_ = dir_.substr(dir_.find_last_of('/') + 1);
  try {
    fd_ = openat(parent_fd_, name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) fail("open " + dir_);
    struct stat st {};
    if (fstat(fd_, &st) != 0) fail("stat " + dir_);
    if (st.st_uid != geteuid() || (st.st_mode & 0777) != 0700)
      throw WorkspaceError(dir_ + " is not the private directory mkdtemp made: something in " + root +
                           " replaced it; use a private TMPDIR");
    owner_fd_ = openat(fd_, kOwnerFile, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (owner_fd_ < 0) fail("create " + path(kOwnerFile));
    flock(owner_fd_, LOCK_EX);
    const std::string owner = std::to_string(getpid()) + " " + std::to_string(process_start_time(getpid())) + "\n";
    if (write(owner_fd_, owner.data(), owner.size()) != static_cast<ssize_t>(owner.size()))
      fail("write " + path(kOwnerFile));
  } catch (const std::exception& e) {
    if (fd_ >= 0) close(fd_);
    if (owner_fd_ >= 0) close(owner_fd_);
    remove_tree(parent_fd_, name_.c_str(), 0);
    close(parent_fd_);
    throw WorkspaceError(e.what());
  }
}

Workspace::Workspace(int adopted_fd, const std::string& dir) : dir_(dir) {
  struct stat by_fd {
  }, by_path{};
  if (adopted_fd < 0 || fstat(adopted_fd, &by_fd) != 0 || !S_ISDIR(by_fd.st_mode))
    throw WorkspaceError("the workspace handed over is not an open directory");
  if (by_fd.st_uid != getuid() || (by_fd.st_mode & 0077) != 0)
    throw WorkspaceError("the workspace handed over is not a private directory of the calling user");
  if (dir.empty() || dir[0] != '/' || lstat(dir.c_str(), &by_path) != 0 || !S_ISDIR(by_path.st_mode) ||
      by_path.st_dev != by_fd.st_dev || by_path.st_ino != by_fd.st_ino)
    throw WorkspaceError("the workspace path " + dir + " does not name the directory handed over");
  fd_ = fcntl(adopted_fd, F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) fail("dup the workspace fd");
}

Workspace::~Workspace() {
  if (parent_fd_ < 0) {  // adopted: its creator removes it
    close(fd_);
    return;
  }
  // The owner file goes last with the rest; its lock keeps a sweeping run away until then.
  remove_tree(parent_fd_, name_.c_str(), 0);
  close(fd_);
  close(owner_fd_);
  close(parent_fd_);
}

uint64_t Workspace::free_bytes() const {
  struct statvfs st {};
  if (fstatvfs(fd_, &st)) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

void create_random_file(int dir_fd, const std::string& name, uint64_t size, const std::atomic<bool>* cancel,
                        const std::function<void(uint64_t)>& on_written) {
  Fd f{openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0) fail("create " + name);
  std::vector<uint64_t> block(1 << 17);  // 1 MiB
  uint64_t state = 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(getpid());
  for (uint64_t done = 0; done < size;) {
    if (cancel && cancel->load()) return;
    for (auto& w : block) {  // splitmix64
      uint64_t z = (state += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      w = z ^ (z >> 31);
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, block.size() * sizeof(uint64_t)));
    const char* p = reinterpret_cast<const char*>(block.data());
    for (size_t off = 0; off < n;) {
      ssize_t w = write(f.fd, p + off, n - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("write " + name);
      }
      off += static_cast<size_t>(w);
    }
    done += n;
    if (on_written) on_written(done);
    // Each step of kWritebackStep goes to disk as soon as it is written, and
    // the one before it is waited for: no more than two steps are ever in
    // flight, so Ctrl-C (or removing the file, which waits for pages under
    // writeback) never waits for a whole file's worth of dirty pages.
    if (done % kWritebackStep == 0 || done == size) {
      const uint64_t step = (done - 1) / kWritebackStep * kWritebackStep;
      sync_file_range(f.fd, static_cast<off_t>(step), static_cast<off_t>(done - step), SYNC_FILE_RANGE_WRITE);
      if (step >= kWritebackStep &&
          sync_file_range(f.fd, static_cast<off_t>(step - kWritebackStep), static_cast<off_t>(kWritebackStep),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER))
        fail("write back " + name);
    }
  }
  if (fsync(f.fd)) fail("fsync " + name);  // the last step, and the metadata
}

namespace {

CacheState cache_state_of(int fd, const std::string& name) {
  CacheState cs;
  struct stat st {};
  if (fstat(fd, &st)) fail("stat " + name);
  const long page = sysconf(_SC_PAGESIZE);
  cs.total_pages = (static_cast<uint64_t>(st.st_size) + page - 1) / page;
  if (!st.st_size) return cs;
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) fail("mmap " + name);
  std::vector<unsigned char> vec(cs.total_pages);
  if (mincore(map, static_cast<size_t>(st.st_size), vec.data()) == 0)
    for (unsigned char v : vec) cs.resident_pages += v & 1;
  munmap(map, static_cast<size_t>(st.st_size));
  return cs;
}

}  // namespace

CacheState cache_state(int dir_fd, const std::string& name) {
  Fd f{openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (f.fd < 0) fail("open " + name);
  return cache_state_of(f.fd, name);
}

CacheState prepare_cache(int dir_fd, const std::string& name, bool warm, const std::atomic<bool>* cancel) {
  Fd f{openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (f.fd < 0) fail("open " + name);
  if (warm) {
    std::vector<char> buf(1 << 20);
    while (!(cancel && cancel->load()) && read(f.fd, buf.data(), buf.size()) > 0) {
    }
  } else {
    fdatasync(f.fd);
    for (int attempt = 0; attempt < 5; ++attempt) {
      posix_fadvise(f.fd, 0, 0, POSIX_FADV_DONTNEED);
      if (cache_state_of(f.fd, name).resident_pages == 0) break;
      usleep(20000);
    }
  }
  return cache_state_of(f.fd, name);
}

}  // namespace copyscope
