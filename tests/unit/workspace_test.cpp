// The workspace: the scenario's source file made at the size asked, on disk
// before the run starts (no dirty page left to be written back while it is
// measured), and given up early when the run is cancelled; a TMPDIR that
// others could swap refused; nothing in it opened through a symlink; stale
// workspaces of dead owners removed by the next one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "launch/workspace.h"

namespace {

using copyscope::create_random_file;
using copyscope::Workspace;
using copyscope::WorkspaceError;
namespace fs = std::filesystem;

// A directory of its own under /tmp made TMPDIR for the test's lifetime.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(mode_t mode = 0700) {
    char templ[] = "/tmp/cs-ws-test.XXXXXX";
    if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp");
    root_ = templ;
    dir_ = root_;
    chmod(dir_.c_str(), mode);
    const char* old = std::getenv("TMPDIR");
    had_ = old != nullptr;
    if (old) old_ = old;
    setenv("TMPDIR", dir_.c_str(), 1);
  }
  // TMPDIR becomes sub, made inside with `mode`.
  void nest(const std::string& sub, mode_t mode) {
    dir_ = root_ + "/" + sub;
    mkdir(dir_.c_str(), 0700);
    chmod(dir_.c_str(), mode);
    setenv("TMPDIR", dir_.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (had_)
      setenv("TMPDIR", old_.c_str(), 1);
    else
      unsetenv("TMPDIR");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const std::string& dir() const { return dir_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }

 private:
  std::string root_, dir_, old_;
  bool had_ = false;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A workspace as a copyscope would have left it, owned by `owner` ("PID START").
void plant_workspace(const std::string& dir, const std::string& owner) {
  mkdir(dir.c_str(), 0700);
  spit(dir + "/copyscope.owner", owner);
  spit(dir + "/source.dat", "data");
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

// cachestat(2), Linux 6.5; Debian 12's headers predate it. 451 on every architecture.
struct CacheStatRange {
  uint64_t off, len;
};
struct CacheStat {
  uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(Workspace, SourceFileHasItsSizeAndNothingLeftToWriteBack) {
  Workspace ws;
  const std::string path = ws.path("source.dat");
  // Two whole write-back steps of 64 MiB, and a last one that is neither a step nor a MiB.
  const uint64_t size = (131ull << 20) + 5;
  create_random_file(ws.fd(), "source.dat", size, nullptr);
  ASSERT_EQ(file_size(path), size);

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<unsigned char> tail(4096);
  ASSERT_EQ(pread(fd, tail.data(), tail.size(), static_cast<off_t>(size - tail.size())),
            static_cast<ssize_t>(tail.size()));
  size_t zeros = 0;
  for (unsigned char c : tail) zeros += c == 0;
  EXPECT_LT(zeros, tail.size() / 16) << "the end of the file is not random data";

  CacheStatRange range{0, 0};  // len 0: to the end of the file
  CacheStat cs{};
  if (syscall(451, fd, &range, &cs, 0) != 0) {
    const int err = errno;
    close(fd);
    if (err == ENOSYS) GTEST_SKIP() << "cachestat(2) needs Linux 6.5: cannot count the file's dirty pages here";
    FAIL() << "cachestat: " << err;
  }
  close(fd);
  EXPECT_EQ(cs.nr_dirty, 0u);
  EXPECT_EQ(cs.nr_writeback, 0u);
}

TEST(Workspace, CancelStopsTheSourceFileEarly) {
  Workspace ws;
  std::atomic<bool> cancel{true};
  create_random_file(ws.fd(), "first.dat", 64ull << 20, &cancel);
  EXPECT_EQ(file_size(ws.path("first.dat")), 0u) << "cancelled before the first MiB";

  // Cancelled while it writes: 1 GiB takes seconds here, the cancel comes after 50 ms.
  cancel = false;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
  });
  create_random_file(ws.fd(), "second.dat", 1ull << 30, &cancel);
  stopper.join();
  EXPECT_LT(file_size(ws.path("second.dat")), 1ull << 30);
}

TEST(Workspace, RefusesAWorldWritableTmpdirWithoutTheStickyBit) {
  ScopedTmpdir tmp(0777);
  try {
    Workspace ws;
    FAIL() << "a workspace was made in " << tmp.dir() << ", which anyone can write";
  } catch (const WorkspaceError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("TMPDIR=" + tmp.dir() + " is world-writable without the sticky bit"), std::string::npos)
        << what;
    EXPECT_NE(what.find("chmod +t"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
  EXPECT_TRUE(tmp.entries().empty()) << "nothing is created in a refused TMPDIR";
}

TEST(Workspace, AcceptsAStickyWorldWritableTmpdirAndRemovesItselfAtTheEnd) {
  ScopedTmpdir tmp(01777);
  std::string dir;
  {
    Workspace ws;
    dir = ws.dir();
    EXPECT_EQ(dir.rfind(tmp.dir() + "/copyscope.", 0), 0u) << dir;
    struct stat st {};
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    const std::string owner = slurp(ws.path("copyscope.owner"));
    EXPECT_EQ(owner, std::to_string(getpid()) + " " + std::to_string(copyscope::process_start_time(getpid())) + "\n");
    create_random_file(ws.fd(), "source.dat", 1 << 20);
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(tmp.entries().empty());
}

TEST(Workspace, ATmpdirSymlinkIsResolvedOnceAndThePathUsedIsTheCheckedOne) {
  ScopedTmpdir tmp;
  tmp.nest("real", 0700);
  const std::string real = tmp.dir(), link = real + "-link";
  ASSERT_EQ(symlink(real.c_str(), link.c_str()), 0);
  setenv("TMPDIR", link.c_str(), 1);
  Workspace ws;
  EXPECT_EQ(ws.dir().rfind(real + "/copyscope.", 0), 0u) << ws.dir();
}

TEST(Workspace, RefusesATmpdirInsideADirectoryOthersCanWrite) {
  ScopedTmpdir tmp(0777);
  tmp.nest("private", 0700);
  try {
    Workspace ws;
    FAIL() << "the parent of " << tmp.dir() << " is writable by anyone: the workspace could be swapped";
  } catch (const WorkspaceError& e) {
    EXPECT_NE(std::string(e.what()).find("is inside"), std::string::npos) << e.what();
  }
}

TEST(Workspace, NeverOpensThroughAPlantedSymlink) {
  ScopedTmpdir outside;
  const std::string victim = outside.dir() + "/victim";
  spit(victim, "precious");
  Workspace ws;
  ASSERT_EQ(symlink(victim.c_str(), ws.path("source.dat").c_str()), 0);
  EXPECT_THROW(create_random_file(ws.fd(), "source.dat", 1 << 20), std::runtime_error);
  EXPECT_THROW(copyscope::prepare_cache(ws.fd(), "source.dat", true), std::runtime_error);
  EXPECT_THROW(copyscope::cache_state(ws.fd(), "source.dat"), std::runtime_error);
  EXPECT_EQ(slurp(victim), "precious");
  // A file that is already there is not reused either (O_EXCL).
  spit(ws.path("taken.dat"), "x");
  EXPECT_THROW(create_random_file(ws.fd(), "taken.dat", 1 << 20), std::runtime_error);
  EXPECT_EQ(slurp(ws.path("taken.dat")), "x");
}

TEST(Workspace, ProcessStartTimeNamesOneProcess) {
  EXPECT_GT(copyscope::process_start_time(getpid()), 0u);
  EXPECT_EQ(copyscope::process_start_time(dead_pid()), 0u);
}

TEST(Workspace, TheNextWorkspaceRemovesStaleOnesOnly) {
  ScopedTmpdir outside;
  ScopedTmpdir tmp;  // the TMPDIR: made last
  const std::string victim = outside.dir() + "/victim";
  spit(victim, "precious");
  const std::string me = std::to_string(getpid()) + " " + std::to_string(copyscope::process_start_time(getpid()));
  // Dead owner: pid gone.
  plant_workspace(tmp.dir() + "/copyscope.dead01", std::to_string(dead_pid()) + " 12345\n");
  ASSERT_EQ(symlink(victim.c_str(), (tmp.dir() + "/copyscope.dead01/link").c_str()), 0);
  mkdir((tmp.dir() + "/copyscope.dead01/sub").c_str(), 0700);
  spit(tmp.dir() + "/copyscope.dead01/sub/file", "x");
  // Dead owner: the pid lives on as another process (another start time).
  plant_workspace(tmp.dir() + "/copyscope.reused", std::to_string(getpid()) + " 1\n");
  // Live owner: this process.
  plant_workspace(tmp.dir() + "/copyscope.live01", me + "\n");
  // Dead pid, but someone holds the lock (an owner in another pid namespace).
  plant_workspace(tmp.dir() + "/copyscope.locked", std::to_string(dead_pid()) + " 1\n");
  const int lock = open((tmp.dir() + "/copyscope.locked/copyscope.owner").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(flock(lock, LOCK_EX), 0);
  // Not ours to judge: another name, and a symlink named like a workspace.
  plant_workspace(tmp.dir() + "/other.dead01", std::to_string(dead_pid()) + " 1\n");
  ASSERT_EQ(symlink(outside.dir().c_str(), (tmp.dir() + "/copyscope.sym001").c_str()), 0);
  plant_workspace(outside.dir() + "/inner", std::to_string(dead_pid()) + " 1\n");

  {
    Workspace ws;
    std::vector<std::string> left = tmp.entries();
    std::sort(left.begin(), left.end());
    const std::string mine = ws.dir().substr(ws.dir().find_last_of('/') + 1);
    std::vector<std::string> want = {"copyscope.live01", "copyscope.locked", "copyscope.sym001", "other.dead01", mine};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(left, want);
  }
  close(lock);
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_TRUE(fs::exists(outside.dir() + "/inner/source.dat")) << "the sweep followed a symlink";
  // With the lock released and the owner dead, the next sweep takes it.
  const int root = open(tmp.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(copyscope::remove_stale_workspaces(root), 1u);
  close(root);
  EXPECT_FALSE(fs::exists(tmp.dir() + "/copyscope.locked"));
}

}  // namespace
