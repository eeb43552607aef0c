// A private temp directory for one run, removed with everything in it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace copyscope {

class Workspace {
 public:
  Workspace();  // mkdtemp under $TMPDIR (default /tmp); throws std::runtime_error
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  const std::string& dir() const { return dir_; }
  uint64_t free_bytes() const;

 private:
  std::string dir_;
};

// Writes `size` bytes of pseudo-random data (not compressible, not zero pages)
// and waits until they are on disk. Stops early (leaving a short file) when
// *cancel becomes true, within one step of 64 MiB written back.
void create_random_file(const std::string& path, uint64_t size, const std::atomic<bool>* cancel = nullptr);

// Cache state of one file: evict it (cold) or read it in (warm). Returns the
// pages resident afterwards, checked with mincore(). A warm read stops early
// when *cancel becomes true.
struct CacheState {
  uint64_t resident_pages = 0;
  uint64_t total_pages = 0;
};
CacheState prepare_cache(const std::string& path, bool warm, const std::atomic<bool>* cancel = nullptr);
CacheState cache_state(const std::string& path);

}  // namespace copyscope
