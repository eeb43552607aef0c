// A Run being filled by the capture thread while the UI (or CLI) reads it.
// Writers append in batches; readers take the lock once per frame.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "model/run.h"

namespace copyscope {

class LiveRun {
 public:
  void append(const std::vector<Event>& batch) {
    std::lock_guard<std::mutex> lock(mu_);
    run_.events.insert(run_.events.end(), batch.begin(), batch.end());
    received_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  template <typename Fn>
  auto with_run(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return fn(run_);
  }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  Run run_;
  std::atomic<uint64_t> received_{0};
};

}  // namespace copyscope
