// Runs one scenario under the tracer: temp dir, source file, cache state, the
// scenario's process tree, time limit, clean teardown.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "launch/cancel.h"
#include "model/live_run.h"
#include "model/run.h"
#include "trace/environment.h"

namespace copyscope {

// exit_code: 1 the run failed, 2 usage or environment.
// `partial` holds what was captured before an interrupt or a timeout, marked partial.
class RunError : public std::runtime_error {
 public:
  RunError(int exit_code, const std::string& what, std::shared_ptr<Run> partial = nullptr)
      : std::runtime_error(what), exit_code(exit_code), partial(std::move(partial)) {}
  int exit_code;
  std::shared_ptr<Run> partial;
};

// Where a run is, for a progress line or the GUI's status: the source file
// being written (done/total bytes), the cache being prepared, the transfer
// (elapsed_ms), the counters being read.
struct RunProgress {
  enum class Phase { Source, Cache, Transfer, Collect } phase = Phase::Source;
  uint64_t done = 0, total = 0;
  uint64_t elapsed_ms = 0;  // since the transfer started
};

// "writing the source file: 1.0 GiB of 2.0 GiB (50%)", for the CLI's
// progress line and the GUI's status.
std::string describe_progress(const RunProgress& p);

struct RunRequest {
  RunParams params;
  unsigned timeout_s = 60;
  bool emit_events = true;
  bool traced = true;  // false: the same scenario with no BPF at all (benchmarks)
  size_t max_events = kDefaultMaxEvents;  // the event log's budget (Run::event_stride)
  // Without the privilege to capture, run through copyscope-capture when it
  // is installed (launch/capture_client.h). The helper itself sets false.
  bool allow_helper = true;
  // A workspace handed over by the caller (copyscope-capture): its fd and
  // path. -1: the run makes its own in $TMPDIR.
  int workspace_fd = -1;
  std::string workspace_dir;
  // Called once the tracing programs are loaded and attached, before the
  // scenario starts (copyscope-capture drops its capabilities here).
  std::function<void()> after_attach;
  // Called on the runner's thread, often (every MiB written, every wake-up of
  // the wait for the scenario): throttle what it draws.
  std::function<void(const RunProgress&)> on_progress;
};

// Throws RunError(2, ...) for a bad method, sink, size or buffer.
void validate(RunParams& params);
// Changes what the run cannot use as asked (a buffer larger than the size
// becomes the size) and returns each change as {what, requested, used, why},
// which run_scenario reports in the scenario's facts as "clamps".
nlohmann::json clamp_params(RunParams& params);
std::string scenario_binary();
// The capture helper's path (copyscope-capture, beside copyscope-scenario), empty if not installed.
std::string capture_helper_binary();
// Whether a live run can capture: by itself (root, capabilities), or
// through copyscope-capture when this user may run it.
CaptureCheck capture_available();

// Forks and execs the scenario binary with argv `args` in a process group of
// its own, killed if we die. The child first closes `close_fd` and waits for a
// byte on `go_fd` (each when >= 0: the tracer tracks it meanwhile), then
// writes its result on fd 3 (`result_fd` here). Returns the child's pid.
pid_t spawn_scenario(const std::vector<std::string>& args, int go_fd, int close_fd, int result_fd);

// Sleeps until process `pid` (our child) may have exited, or for at most
// max_ms: on a pidfd (Linux 5.3+) it wakes when the child exits, else it
// sleeps 5 ms at a time. A pidfd avoids the timer wake-ups, whose CPU the
// scenario would share (docs/performance.md).
class ExitWatch {
 public:
  explicit ExitWatch(pid_t pid);
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;
  void wait(int max_ms);

 private:
  int fd_ = -1;
};

// Everything left to read on fd, until end of file.
std::string read_all(int fd);

// User + system CPU in a rusage, and this process's so far.
uint64_t rusage_cpu_ns(const rusage& u);
uint64_t self_cpu_ns();

// Runs it; `live` (optional) receives events as they arrive. Throws RunError.
// Once `cancel` is cancelled the run stops, kills its process tree, cleans up
// and throws RunError(130) with what it captured.
Run run_scenario(const RunRequest& req, const CancelToken& cancel, LiveRun* live = nullptr);

}  // namespace copyscope
