// The one owner of the BPF skeleton: open -> configure -> load -> attach ->
// poll -> destroy. The capture thread decodes into a LiveRun (the model) and
// never touches UI code.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
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

// Probes fentry then kprobe on the copy routines; never attaches anything.
std::vector<Hook> probe_copy_hooks(std::string* accounting);

class Tracer {
 public:
  explicit Tracer(const TracerOptions& opt);  // throws TraceError
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  void track(pid_t tgid);       // the root of the scenario's tree
  void start(LiveRun* live);    // capture thread
  void stop();                  // drains the ring buffer, joins
  void collect(Run& run) const; // exact counters and flows
  const KernelInfo& kernel() const { return kernel_; }

 private:
  void poll_loop();
  static int on_event(void* ctx, void* data, size_t size);

  copyscope_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  std::vector<bpf_link*> usdt_links_;
  KernelInfo kernel_;
  LiveRun* live_ = nullptr;
  std::vector<Event> batch_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace copyscope
