// A Run being filled by the tracer's store thread while the UI (or CLI) reads it.
// Writers append in batches; readers take the lock once per frame.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "model/run.h"

namespace copyscope {

class LiveRun {
 public:
  // Address space for a whole capture, taken before it starts: the log then
  // never moves while events arrive (moving 200 MiB stalled the capture
  // thread for tens of ms, long enough to fill a small ring buffer). Only the
  // pages events are written to become memory. Refused (strict overcommit):
  // the log grows as usual. The pages of the first `prefault` events are
  // faulted in now, before the capture: on this VM the first write to fresh
  // memory costs up to 8 ms a huge page, CPU that the store thread would
  // otherwise take from the scenario while it runs.
  void reserve(size_t events, size_t prefault = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      run_.events.reserve(events);
    } catch (const std::bad_alloc&) {
    }
    if (run_.events.empty())
      bulk::prefault(run_.events.data(), std::min(prefault, run_.events.capacity()) * sizeof(Event));
  }
  // The most events the log holds (kDefaultMaxEvents unless set): past it,
  // it keeps one window in two, then one in four, ... (Run::event_stride).
  void set_budget(size_t max_events, const std::string& sink) {
    std::lock_guard<std::mutex> lock(mu_);
    budget_ = std::max<size_t>(max_events, 1);
    run_.thinned.tcp_sink = sink == "tcp";
  }
  // Events are handed to `forward` instead of kept (copyscope-capture sends
  // them on to the process that shows them).
  void set_forward(std::function<void(const Event*, size_t)> forward) {
    std::lock_guard<std::mutex> lock(mu_);
    forward_ = std::move(forward);
  }
  template <typename Events>  // a std::vector of Event, any allocator
  void append(const Events& batch) {
    std::lock_guard<std::mutex> lock(mu_);
    if (batch.empty()) return;
    if (forward_) {
      forward_(batch.data(), batch.size());
    } else if (run_.event_stride == 1) {
      append_events(run_.events, batch.data(), batch.size());
    } else {
      for (const Event& e : batch) {
        if (kept_at_stride(e, run_.event_stride))
          run_.events.push_back(e);
        else
          run_.thinned.add(e);
      }
    }
    if (thin_to_budget(run_, budget_)) generation_.fetch_add(1, std::memory_order_relaxed);
    received_.fetch_add(batch.size(), std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    last_append_ns_.store(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()),
                          std::memory_order_relaxed);
  }
  template <typename Fn>
  auto with_run(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return fn(run_);
  }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // Changes each time the log is thinned: a reader's copy of it is then stale.
  uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }
  // Moves the log (events, stride, thinned) into `into`.
  void take_log(Run& into) {
    std::lock_guard<std::mutex> lock(mu_);
    into.events = std::move(run_.events);
    into.event_stride = run_.event_stride;
    into.thinned = std::move(run_.thinned);
  }
  // When events last reached the run (CLOCK_MONOTONIC, the clock of event
  // timestamps), 0 before the first.
  uint64_t last_append_ns() const { return last_append_ns_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  Run run_;
  size_t budget_ = kDefaultMaxEvents;
  std::function<void(const Event*, size_t)> forward_;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> last_append_ns_{0};
};

}  // namespace copyscope
