// The one owner of the BPF skeleton, one lifecycle:
//   open -> configure (rodata, which programs load) -> load -> attach   (the constructor)
//   -> poll (start .. stop: a capture thread drains the ring, a store thread
//      appends to a LiveRun, the model; neither touches UI code)
//   -> destroy (the destructor: threads joined, then the members let go of
//      the ring, the links and the skeleton, in that order).
// What the running kernel offers is probed once, before the open, and every
// program's load decision is made in one place (configure() in tracer.cpp).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
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
  std::string scenario_binary;  // USDT phase markers live here; empty: none are attached
  bool emit_events = true;      // false: exact counters only
  // A traced program has no phase markers: every tracked process is in its
  // phase from the moment it is tracked until it exits (copyscope trace).
  bool whole_lifetime = false;
  // Name each descriptor the tracked tasks move data through, read from
  // /proc when the store thread first sees it (Run::fd_names).
  bool name_fds = false;
};

struct KernelFeatures;  // what the running kernel offers (tracer.cpp)
enum class CopyVia;     // how one copy routine is hooked (tracer.cpp)

class Tracer {
 public:
  explicit Tracer(const TracerOptions& opt);  // open .. attach; throws TraceError
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  void track(pid_t tgid);  // the root of the scenario's tree (or one process of a traced tree)
  // Capture and store threads. expected_events, a guess, sizes the part of
  // the log made memory before the capture (see LiveRun::reserve).
  void start(LiveRun* live, size_t expected_events = 0);
  void stop();                   // drains the ring buffer, joins
  void collect(Run& run) const;  // exact counters and flows
  const KernelInfo& kernel() const { return kernel_; }

 private:
  void collect_dma(Run& run) const;
  bool dma_tracepoints_ = false;  // a dma:* mapping tracepoint attached
  // Deleters of what the tracer owns; members below are destroyed in reverse
  // order of declaration, which is the order they must go in.
  struct SkeletonDeleter {
    void operator()(copyscope_bpf* skel) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link* link) const;
  };
  struct RingDeleter {
    void operator()(ring_buffer* rb) const;
  };
  struct Fd {
    int fd = -1;
    Fd() = default;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
  };
  using Link = std::unique_ptr<bpf_link, LinkDeleter>;

  // The lifecycle's steps, in the order the constructor takes them.
  std::vector<CopyVia> load(const TracerOptions& opt, const KernelFeatures& features,
                            std::vector<std::string>& load_failed);
  void attach(const TracerOptions& opt, const KernelFeatures& features, const std::vector<CopyVia>& via,
              const std::vector<std::string>& load_failed);
  void open_ring();

  void poll_loop();   // the capture thread
  void store_loop();  // the store thread
  void consume_ring();
  static int on_event(void* ctx, void* data, size_t size);
  void drain_batches();

  std::unique_ptr<copyscope_bpf, SkeletonDeleter> skel_;  // goes last: its programs outlive every link
  std::vector<Link> copy_exit_links_;                     // copy hooks' exits go after their entries,
  std::vector<Link> copy_entry_links_;                    // so no frame waits for a detached exit
  std::vector<Link> usdt_links_;
  std::unique_ptr<ring_buffer, RingDeleter> rb_;
  Fd epoll_;  // the ring's fd, edge-triggered (see open_ring)
  KernelInfo kernel_;
  LiveRun* live_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  // Events drained from the ring, waiting for the store thread to append them to the log.
  std::mutex staged_mu_;
  std::condition_variable staged_cv_;
  EventLog staged_;
  EventLog store_out_;         // the store thread's block, swapped with staged_
  bool capture_done_ = false;  // under staged_mu_: nothing more will be staged
  std::thread store_thread_;
  // Thread names (comm) read from /proc when the store thread first sees a
  // thread, while it is still alive: the timeline's roles (JVM GC, compiler...)
  // need them, and the threads are gone by the end. Store thread only until stop().
  std::map<uint32_t, std::string> thread_names_;
  void note_threads(const EventLog& batch);
  // What each descriptor was, as the store thread found it (TracerOptions::name_fds).
  bool whole_lifetime_ = false;
  bool name_fds_ = false;
  std::vector<FdName> fd_names_;
  std::map<uint32_t, std::string> fd_parents_;  // tid -> the directory of the name that comes next
  void note_fds(EventLog& batch);
};

}  // namespace copyscope
