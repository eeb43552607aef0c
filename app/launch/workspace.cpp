#include "launch/workspace.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace copyscope {

namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

constexpr uint64_t kWritebackStep = 64ull << 20;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};
}  // namespace

Workspace::Workspace() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/copyscope.XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) fail("cannot create a temp directory under " + templ.substr(0, templ.rfind('/')));
  dir_ = buf.data();
}

Workspace::~Workspace() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

uint64_t Workspace::free_bytes() const {
  struct statvfs st {};
  if (statvfs(dir_.c_str(), &st)) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

void create_random_file(const std::string& path, uint64_t size, const std::atomic<bool>* cancel) {
  Fd f{open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (f.fd < 0) fail("create " + path);
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
        fail("write " + path);
      }
      off += static_cast<size_t>(w);
    }
    done += n;
    // Each step of kWritebackStep goes to disk as soon as it is written, and
    // the one before it is waited for: no more than two steps are ever in
    // flight. One fsync at the end took 2-3 s for 1 GiB here, and Ctrl-C (or
    // removing the file, which waits for pages under writeback) waited for
    // all of it.
    if (done % kWritebackStep == 0 || done == size) {
      const uint64_t step = (done - 1) / kWritebackStep * kWritebackStep;
      sync_file_range(f.fd, static_cast<off_t>(step), static_cast<off_t>(done - step), SYNC_FILE_RANGE_WRITE);
      if (step >= kWritebackStep &&
          sync_file_range(f.fd, static_cast<off_t>(step - kWritebackStep), static_cast<off_t>(kWritebackStep),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER))
        fail("write back " + path);
    }
  }
  if (fsync(f.fd)) fail("fsync " + path);  // the last step, and the metadata
}

CacheState cache_state(const std::string& path) {
  CacheState cs;
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail("open " + path);
  struct stat st {};
  if (fstat(f.fd, &st)) fail("stat " + path);
  const long page = sysconf(_SC_PAGESIZE);
  cs.total_pages = (static_cast<uint64_t>(st.st_size) + page - 1) / page;
  if (!st.st_size) return cs;
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, f.fd, 0);
  if (map == MAP_FAILED) fail("mmap " + path);
  std::vector<unsigned char> vec(cs.total_pages);
  if (mincore(map, static_cast<size_t>(st.st_size), vec.data()) == 0)
    for (unsigned char v : vec) cs.resident_pages += v & 1;
  munmap(map, static_cast<size_t>(st.st_size));
  return cs;
}

CacheState prepare_cache(const std::string& path, bool warm, const std::atomic<bool>* cancel) {
  {
    Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) fail("open " + path);
    if (warm) {
      std::vector<char> buf(1 << 20);
      while (!(cancel && cancel->load()) && read(f.fd, buf.data(), buf.size()) > 0) {
      }
    } else {
      fdatasync(f.fd);
      for (int attempt = 0; attempt < 5; ++attempt) {
        posix_fadvise(f.fd, 0, 0, POSIX_FADV_DONTNEED);
        if (cache_state(path).resident_pages == 0) break;
        usleep(20000);
      }
    }
  }
  return cache_state(path);
}

}  // namespace copyscope
