// copyscope bench pipeline: a producer at full speed (1-byte writes to
// /dev/null in a tracked child, inside its transfer phase, one event each) and
// how many events per second reach the model, and how many the kernel dropped.
#include "cli/bench_pipeline.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/common.h"
#include "launch/runner.h"
#include "model/live_run.h"
#include "model/size.h"
#include "trace/environment.h"
#include "trace/tracer.h"

namespace copyscope::cli {

using nlohmann::json;

namespace {

struct PipelineOptions {
  std::string calls = "4M";
  unsigned rounds = 3;
  unsigned timeout = 60;
  bool json = false;
};

uint64_t monotonic_ns() {  // the clock of bpf_ktime_get_ns()
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The producer's process group: killed and reaped whatever happens.
struct Producer {
  pid_t pid = -1;
  bool reaped = false;
  ~Producer() {
    if (pid <= 0) return;
    kill(-pid, SIGKILL);
    if (!reaped) waitpid(pid, nullptr, 0);
  }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

struct Round {
  uint64_t calls = 0;
  uint64_t captured = 0;        // the kernel's exact count of events written
  uint64_t dropped = 0;         // ...and of events the full ring buffer refused
  uint64_t delivered = 0;       // events that reached the model
  uint64_t writes_counted = 0;  // the exact counter of write() calls: must equal calls
  double events_per_s = 0;      // delivered / (last delivery - phase begin)
  double producer_calls_per_s = 0;
  double delivery_lag_ms = 0;  // last delivery - phase end
  // CPU time, robust against other load on the machine: the producer's per
  // call (user + system, tracing included) and ours per delivered event.
  double producer_cpu_ns_per_call = 0;
  double consumer_cpu_ns_per_event = 0;
};

// Starts the producer in its own process group (spawn_scenario() says what
// go_fd, close_fd and result_fd are for).
void spawn_producer(Producer& child, uint64_t calls, int go_fd, int close_fd, int result_fd) {
  const std::vector<std::string> args = {scenario_binary(), "bench_pipeline",
                                         "--size",          std::to_string(calls),
                                         "--buffer",        "1",
                                         "--sink",          "null",
                                         "--workdir",       "/",
                                         "--result-fd",     "3"};
  child.pid = spawn_scenario(args, go_fd, close_fd, result_fd);
}

// Waits for the producer to exit and reaps it; its CPU time goes to `usage`.
int wait_producer(Producer& child, unsigned timeout_s, const CancelToken& cancel, rusage* usage) {
  const uint64_t deadline = monotonic_ns() + uint64_t{timeout_s} * 1000000000ull;
  int status = 0;
  ExitWatch exit_watch(child.pid);
  while (wait4(child.pid, &status, WNOHANG, usage) != child.pid) {
    if (cancel.cancelled()) throw RunError(130, "interrupted: the producer was stopped and cleaned up");
    if (monotonic_ns() > deadline)
      throw RunError(1, "the producer did not finish within " + std::to_string(timeout_s) +
                            " s (lower --calls or raise --timeout)");
    exit_watch.wait(50);
  }
  child.reaped = true;
  return status;
}

// The same producer with no tracer attached: how many calls per second this
// machine makes at all, the ceiling of a one-event-per-call producer.
double untraced_calls_per_s(uint64_t calls, unsigned timeout_s, const CancelToken& cancel) {
  int result_fds[2];
  if (pipe2(result_fds, O_CLOEXEC)) throw RunError(1, std::string("pipe: ") + std::strerror(errno));
  Fd result_rd{result_fds[0]}, result_wr{result_fds[1]};
  Producer child;
  spawn_producer(child, calls, -1, -1, result_wr.fd);
  result_wr.reset();
  rusage usage{};
  const int status = wait_producer(child, timeout_s, cancel, &usage);
  const json res = json::parse(read_all(result_rd.fd), nullptr, false);
  const uint64_t ns = res.is_object() ? res.value("duration_ns", uint64_t{0}) : 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || ns == 0)
    throw RunError(1, "the untraced producer failed (status " + std::to_string(status) + ")");
  return static_cast<double>(calls) / (ns / 1e9);
}

Round run_round(uint64_t calls, unsigned timeout_s, const CancelToken& cancel) {
  const std::string binary = scenario_binary();
  TracerOptions topt;
  topt.scenario_binary = binary;
  std::unique_ptr<Tracer> tracer;
  try {
    tracer = std::make_unique<Tracer>(topt);
  } catch (const TraceError& e) {
    throw RunError(2, e.what());
  }

  int go_fds[2], result_fds[2];
  if (pipe2(go_fds, O_CLOEXEC)) throw RunError(1, std::string("pipe: ") + std::strerror(errno));
  Fd go_rd{go_fds[0]}, go_wr{go_fds[1]};
  if (pipe2(result_fds, O_CLOEXEC)) throw RunError(1, std::string("pipe: ") + std::strerror(errno));
  Fd result_rd{result_fds[0]}, result_wr{result_fds[1]};
  Producer child;
  spawn_producer(child, calls, go_rd.fd, go_wr.fd, result_wr.fd);
  go_rd.reset();
  result_wr.reset();

  LiveRun live;
  const uint64_t self_cpu_before = self_cpu_ns();
  tracer->track(child.pid);
  tracer->start(&live, calls);
  if (write(go_wr.fd, "g", 1) != 1) throw RunError(1, "could not start the producer");
  go_wr.reset();
  rusage child_usage{};
  const int status = wait_producer(child, timeout_s, cancel, &child_usage);
  tracer->stop();  // drains the ring buffer
  const uint64_t self_cpu = self_cpu_ns() - self_cpu_before;

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw RunError(1, "the producer failed (status " + std::to_string(status) + ")");
  Run run;
  tracer->collect(run);
  uint64_t phase_begin = 0, phase_end = 0;
  live.with_run([&](Run& r) {
    for (const Event& e : r.events)
      if (e.type == CS_EV_PHASE && e.role == CS_ROLE_SENDER) (e.a ? phase_begin : phase_end) = e.ts;
  });
  if (!phase_begin || phase_end <= phase_begin)
    throw RunError(1, "the producer's phase markers did not reach the model");
  Round r;
  r.calls = calls;
  r.captured = run.sender().events_captured + run.receiver().events_captured;
  r.dropped = run.sender().events_dropped + run.receiver().events_dropped;
  r.delivered = live.received();
  r.writes_counted = run.sender().sys_calls[CS_SYS_WRITE];
  // When the last event reached the model: the store thread notes each append.
  const uint64_t last = std::max(live.last_append_ns(), phase_end);
  r.events_per_s = static_cast<double>(r.delivered) / ((last - phase_begin) / 1e9);
  r.producer_calls_per_s = static_cast<double>(calls) / ((phase_end - phase_begin) / 1e9);
  r.delivery_lag_ms = (last - phase_end) / 1e6;
  r.producer_cpu_ns_per_call = static_cast<double>(rusage_cpu_ns(child_usage)) / calls;
  r.consumer_cpu_ns_per_event = r.delivered ? static_cast<double>(self_cpu) / r.delivered : 0;
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int pipeline(const PipelineOptions& o) {
  std::string err;
  auto calls = parse_size(o.calls, &err);
  if (!calls) usage_error("--calls " + err);
  if (*calls == 0) usage_error("--calls must be at least 1");
  if (o.rounds == 0) usage_error("--rounds must be at least 1");
  CaptureCheck check = check_live_capture();
  if (!check.ok) throw RunError(2, check.reason + "; " + check.fix);

  std::vector<double> rates, producer, untraced, lag, producer_cpu, consumer_cpu;
  json per_round = json::array();
  bool miscounted = false;
  uint64_t dropped = 0, captured = 0, delivered = 0;
  CancelToken cancel;
  interrupt::CancelOnInterrupt on_signal(cancel);
  for (unsigned i = 0; i < o.rounds; ++i) {
    if (!o.json) std::fprintf(stderr, "copyscope bench pipeline: round %u/%u\n", i + 1, o.rounds);
    untraced.push_back(untraced_calls_per_s(*calls, o.timeout, cancel));
    Round r = run_round(*calls, o.timeout, cancel);
    rates.push_back(r.events_per_s);
    producer.push_back(r.producer_calls_per_s);
    lag.push_back(r.delivery_lag_ms);
    producer_cpu.push_back(r.producer_cpu_ns_per_call);
    consumer_cpu.push_back(r.consumer_cpu_ns_per_event);
    dropped += r.dropped;
    if (r.writes_counted != r.calls) miscounted = true;
    per_round.push_back({{"events_per_s", std::round(r.events_per_s)},
                         {"events_captured", r.captured},
                         {"events_dropped", r.dropped},
                         {"writes_counted", r.writes_counted},
                         {"untraced_calls_per_s", std::round(untraced.back())},
                         {"producer_cpu_ns_per_call", std::round(r.producer_cpu_ns_per_call)}});
    captured += r.captured;
    delivered += r.delivered;
  }
  json out = {{"calls", *calls},
              {"rounds", o.rounds},
              {"events_per_round", captured / o.rounds},
              {"events_per_s", std::round(median(rates))},
              {"events_per_s_min", std::round(*std::min_element(rates.begin(), rates.end()))},
              {"producer_calls_per_s", std::round(median(producer))},
              {"untraced_calls_per_s", std::round(median(untraced))},
              {"of_untraced", std::round(median(rates) / median(untraced) * 1000) / 1000},
              {"consumer_capacity_events_per_s", std::round(1e9 / std::max(median(consumer_cpu), 1.0))},
              {"delivery_lag_ms", std::round(median(lag) * 10) / 10},
              {"producer_cpu_ns_per_call", std::round(median(producer_cpu))},
              {"consumer_cpu_ns_per_event", std::round(median(consumer_cpu) * 10) / 10},
              {"events_captured", captured},
              {"events_delivered", delivered},
              {"events_dropped", dropped},
              {"per_round", per_round}};
  if (o.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("events/s reaching the model  %12.0f  (median of %u rounds; slowest %.0f)\n",
                out["events_per_s"].get<double>(), o.rounds, out["events_per_s_min"].get<double>());
    std::printf("producer calls/s             %12.0f\n", out["producer_calls_per_s"].get<double>());
    std::printf(
        "same producer, untraced      %12.0f calls/s (the ceiling: one event per call; traced reaches %.0f%%)\n",
        out["untraced_calls_per_s"].get<double>(), out["of_untraced"].get<double>() * 100);
    std::printf("events captured / delivered  %llu / %llu\n", (unsigned long long)captured,
                (unsigned long long)delivered);
    std::printf("events dropped               %12llu\n", (unsigned long long)dropped);
    std::printf("delivery lag after the phase %12.1f ms\n", out["delivery_lag_ms"].get<double>());
    std::printf("producer CPU per call        %12.0f ns (user + system, tracing included)\n",
                out["producer_cpu_ns_per_call"].get<double>());
    std::printf("consumer CPU per event       %12.1f ns (this process: ring buffer to model)\n",
                out["consumer_cpu_ns_per_event"].get<double>());
    std::printf("consumer capacity            %12.0f events/s (one core at that cost)\n",
                out["consumer_capacity_events_per_s"].get<double>());
  }
  // Every event the kernel wrote must reach the model, and every write be counted.
  if (miscounted) std::fprintf(stderr, "copyscope bench pipeline: a round counted fewer writes than were made\n");
  return delivered == captured && !miscounted ? 0 : 1;
}

}  // namespace

CLI::App* add_bench_pipeline(CLI::App* bench, int& exit_code) {
  static PipelineOptions opt;
  auto* cmd = bench->add_subcommand(
      "pipeline", "events/s from the kernel to the model: a tracked child makes 1-byte writes at full speed");
  cmd->add_option("--calls", opt.calls, "writes per round (K/M suffixes)")->capture_default_str();
  cmd->add_option("--rounds", opt.rounds, "rounds; the median is printed")->capture_default_str();
  cmd->add_option("--timeout", opt.timeout, "seconds per round")->capture_default_str();
  cmd->add_flag("--json", opt.json, "print one JSON object");
  cmd->footer("\nEXAMPLES\n  copyscope bench pipeline\n  copyscope bench pipeline --calls 8M --rounds 5 --json\n");
  cmd->callback([&exit_code] { exit_code = pipeline(opt); });
  return cmd;
}

}  // namespace copyscope::cli
