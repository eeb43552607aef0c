// The one owner of the BPF skeleton: open -> configure -> load -> attach ->
// poll -> destroy. The capture thread drains the ring, a store thread appends
// what it drained to a LiveRun (the model); neither touches UI code.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "model/live_run.h"
#include "model/run.h"

struct copyscope_bpf;
struct ring_buffer;
struct bpf_link;

namespace copyscope {

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TracerOptions {
  std::string scenario_binary;  // USDT phase markers live here
  bool emit_events = true;      // false: exact counters only
};

// One copy routine (enum cs_copy_routine) and how this kernel lets us hook it.
struct CopyRoutinePlan {
  unsigned routine = 0;
  std::string name;
  bool in_btf = false;     // a function in the running kernel's BTF
  bool fentry_ok = false;  // a probe fentry program loaded and attached
  bool kprobe_ok = false;  // the kernel has the kprobe PMU
  std::string fentry_why, kprobe_why;  // why not, when not
};
enum class CopyVia { None, Fentry, Kprobe };

// Probes fentry then kprobe on each copy routine; leaves nothing attached.
std::vector<CopyRoutinePlan> probe_copy_hooks();

class Tracer {
 public:
  explicit Tracer(const TracerOptions& opt);  // throws TraceError
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  void track(pid_t tgid);       // the root of the scenario's tree
  // Capture and store threads. expected_events, a guess, sizes the part of
  // the log made memory before the capture (see LiveRun::reserve).
  void start(LiveRun* live, size_t expected_events = 0);
  void stop();                  // drains the ring buffer, joins
  void collect(Run& run) const; // exact counters and flows
  const KernelInfo& kernel() const { return kernel_; }

 private:
  void poll_loop();   // the capture thread
  void store_loop();  // the store thread
  void consume_ring();
  void release();  // every link, the ring buffer and the skeleton
  static int on_event(void* ctx, void* data, size_t size);
  void drain_batches();

  copyscope_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  int epoll_fd_ = -1;  // the ring's fd, edge-triggered (see the constructor)
  std::vector<bpf_link*> usdt_links_;
  std::vector<std::pair<bpf_link*, bpf_link*>> copy_links_;  // entry, exit
  KernelInfo kernel_;
  LiveRun* live_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  // Events drained from the ring, waiting for the store thread to append them to the log.
  std::mutex staged_mu_;
  std::condition_variable staged_cv_;
  EventLog staged_;
  EventLog store_out_;  // the store thread's block, swapped with staged_
  bool capture_done_ = false;  // under staged_mu_: nothing more will be staged
  std::thread store_thread_;
};

}  // namespace copyscope
