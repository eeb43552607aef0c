// The scenario's source file: made at the size asked, on disk before the run
// starts (no dirty page left to be written back while it is measured), and
// given up early when the run is cancelled.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "launch/workspace.h"

namespace {

using copyscope::create_random_file;
using copyscope::Workspace;

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
  const std::string path = ws.dir() + "/source.dat";
  // Two whole write-back steps of 64 MiB, and a last one that is neither a step nor a MiB.
  const uint64_t size = (131ull << 20) + 5;
  create_random_file(path, size, nullptr);
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
  const std::string path = ws.dir() + "/source.dat";
  std::atomic<bool> cancel{true};
  create_random_file(path, 64ull << 20, &cancel);
  EXPECT_EQ(file_size(path), 0u) << "cancelled before the first MiB";

  // Cancelled while it writes: 1 GiB takes seconds here, the cancel comes after 50 ms.
  cancel = false;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
  });
  create_random_file(path, 1ull << 30, &cancel);
  stopper.join();
  EXPECT_LT(file_size(path), 1ull << 30);
}

}  // namespace
