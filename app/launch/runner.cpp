#include "launch/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "launch/capture_client.h"
#include "launch/workspace.h"
#include "methods.h"
#include "model/format.h"
#include "model/size.h"
#include "trace/environment.h"
#include "trace/tracer.h"

namespace copyscope {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxSize = 64ull << 30;  // 64 GiB: beyond that a demo is not a demo
// A running scenario notices its cancel token (Ctrl-C, the GUI's Stop) within this.
constexpr int kCancelCheckMs = 50;

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC)) throw RunError(1, std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
};

// Kills and reaps the scenario's whole process group, whatever happens.
struct ChildGroup {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
  ~ChildGroup() {
    if (pid <= 0) return;
    kill(-pid, SIGKILL);
    if (!reaped) waitpid(pid, &status, 0);
    // Receivers re-parented to us (we are a subreaper) are reaped too.
    while (waitpid(-pid, nullptr, WNOHANG) > 0) {
    }
  }
};

}  // namespace

std::string describe_progress(const RunProgress& p) {
  using Phase = RunProgress::Phase;
  switch (p.phase) {
    case Phase::Source: {
      const unsigned pct = p.total ? static_cast<unsigned>(p.done * 100 / p.total) : 0;
      return "writing the source file: " + format_bytes(p.done) + " of " + format_bytes(p.total) + " (" +
             std::to_string(pct) + "%)";
    }
    case Phase::Cache:
      return "preparing the page cache (" + format_bytes(p.total) + ")";
    case Phase::Transfer:
      return "transferring " + format_bytes(p.total) + ": " + format_duration(static_cast<double>(p.elapsed_ms) * 1e6) +
             " so far";
    case Phase::Collect:
      return "reading the counters";
  }
  return {};
}

namespace {

// A program of ours that is not a command: next to copyscope in a build
// directory, in ../libexec/copyscope when installed (cmake --install, the .deb).
std::string libexec_binary(const char* name) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& candidate : {exe.parent_path() / name, exe.parent_path() / ".." / "libexec" / "copyscope" / name})
    if (!ec && fs::exists(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  return {};
}

}  // namespace

std::string scenario_binary() {
  std::string found = libexec_binary("copyscope-scenario");
  if (found.empty())
    throw RunError(2, "copyscope-scenario is missing next to " + fs::read_symlink("/proc/self/exe").string() +
                          " and in ../libexec/copyscope: rebuild with cmake --build build, or reinstall");
  return found;
}

std::string capture_helper_binary() { return libexec_binary("copyscope-capture"); }

CaptureCheck capture_available() {
  if (has_capture_privilege()) return check_live_capture();
  const std::string helper = capture_helper_binary();
  if (helper.empty()) return check_live_capture();
  CaptureCheck c;
  if (access(helper.c_str(), X_OK) != 0) {
    c.reason = "live capture needs root or membership in group copyscope (" + helper + " is not executable for you)";
    c.fix = "join the group: sudo adduser $USER copyscope, then log in again; or run copyscope with sudo. "
            "'copyscope replay FILE' and the GUI's recordings work without";
    return c;
  }
  c.ok = true;  // the helper checks BTF and tracefs itself, and says what is missing
  return c;
}

void validate(RunParams& p) {
  const scenario::MethodInfo* m = scenario::method_info(p.method);
  if (!m) throw RunError(2, "unknown method '" + p.method + "': see 'copyscope list' for the methods");
  const std::string why_not = scenario::unavailable_reason(*m, fs::path(scenario_binary()).parent_path().string());
  if (!why_not.empty()) throw RunError(2, "method " + p.method + " cannot run here: " + why_not);
  if (p.sink.empty()) p.sink = std::string(scenario::default_sink(*m));
  if (!scenario::method_supports_sink(*m, p.sink))
    throw RunError(
        2, "method " + p.method + " cannot use sink '" + p.sink + "' (it supports " + std::string(m->sinks) + ")");
  if (p.cache != "cold" && p.cache != "warm") throw RunError(2, "--cache must be cold or warm, not '" + p.cache + "'");
  if (p.size == 0) throw RunError(2, "--size must be at least 1 byte");
  if (p.size > kMaxSize) throw RunError(2, "--size " + format_size(p.size) + " is larger than the 64G limit");
  if (p.buffer == 0) throw RunError(2, "--buffer must be at least 1 byte");
  // A buffer larger than --size is clamped by the run (clamp_params), not refused.
  if (std::min(p.buffer, p.size) > (1ull << 30)) throw RunError(2, "--buffer must be at most 1G");
}

json clamp_params(RunParams& p) {
  json clamps = json::array();
  if (p.buffer > p.size) {
    clamps.push_back({{"what", "buffer"},
                      {"requested", p.buffer},
                      {"used", p.size},
                      {"why", "it was larger than the whole transfer (--size " + format_size(p.size) +
                                  "), so it is clamped to the size: one buffer holds the whole file"}});
    p.buffer = p.size;
  }
  return clamps;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
      out.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  return out;
}

pid_t spawn_scenario(const std::vector<std::string>& args, int go_fd, int close_fd, int result_fd) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw RunError(1, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Our parent may have died before the prctl: then no signal will come.
    if (getppid() != parent) _exit(127);
    if (close_fd >= 0) close(close_fd);
    char c;
    if (go_fd >= 0 && read(go_fd, &c, 1) != 1) _exit(127);  // the tracer never got ready
    dup2(result_fd, 3);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(args[0].c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

ExitWatch::ExitWatch(pid_t pid) {
#ifdef SYS_pidfd_open
  fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#endif
}

ExitWatch::~ExitWatch() {
  if (fd_ >= 0) close(fd_);
}

void ExitWatch::wait(int max_ms) {
  if (fd_ < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(max_ms, 5)));
    return;
  }
  pollfd p{fd_, POLLIN, 0};
  poll(&p, 1, max_ms);  // EINTR (a signal) only returns early
}

// A guess at the events of a run, to fault in that much of the log before it
// starts: a transfer unit (a buffer's worth) takes one to five of them
// (read_write of 1 GiB to TCP: 2.4 at 4 KiB, 4.8 at 64 KiB with the
// receiver's calls and its context switches). Too small a guess only means
// faults later; the tracer caps it.
size_t expected_events(const RunParams& p) {
  if (!p.buffer) return 0;
  return static_cast<size_t>(5 * ((p.size + p.buffer - 1) / p.buffer) + 4096);
}

uint64_t rusage_cpu_ns(const rusage& u) {
  auto ns = [](const timeval& t) { return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_usec) * 1000ull; };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

uint64_t self_cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return rusage_cpu_ns(u);
}

Run run_scenario(const RunRequest& req, const CancelToken& cancel, LiveRun* live) {
  RunParams params = req.params;
  validate(params);
  const json clamps = clamp_params(params);
  // An unsafe TMPDIR is the user's to fix, whether or not capture could work here.
  if (req.workspace_fd < 0) try {
      check_temp_root(temp_root());
    } catch (const WorkspaceError& e) {
      throw RunError(2, e.what());
    }
  if (req.traced && req.allow_helper && !has_capture_privilege()) {
    const std::string helper = capture_helper_binary();
    if (!helper.empty()) return run_via_helper(req, helper, cancel, live);
  }
  if (req.traced) {
    CaptureCheck check = check_live_capture();
    if (!check.ok) throw RunError(2, check.reason + "; " + check.fix);
  }
  const std::string binary = scenario_binary();

  auto stop_if_cancelled = [&cancel] {
    if (cancel.cancelled()) throw RunError(130, "interrupted before the scenario started; nothing was left behind");
  };
  std::unique_ptr<Workspace> workspace;
  try {
    workspace = req.workspace_fd >= 0 ? std::make_unique<Workspace>(req.workspace_fd, req.workspace_dir)
                                      : std::make_unique<Workspace>();
  } catch (const WorkspaceError& e) {
    throw RunError(2, e.what());
  }
  const Workspace& ws = *workspace;
  const uint64_t need = params.size * (params.sink == "file" ? 2 : 1) + (1 << 20);
  if (ws.free_bytes() < need)
    throw RunError(2, "not enough free space in " + ws.dir() + " for a " + format_size(params.size) +
                          " run: free some space or set TMPDIR to a larger disk");
  const std::string source = "source.dat";
  const std::string file = ws.path(source);
  try {
    auto written = [&](uint64_t done) {
      if (req.on_progress) req.on_progress({RunProgress::Phase::Source, done, params.size, 0});
    };
    written(0);
    create_random_file(ws.fd(), source, params.size, cancel.flag(), written);
  } catch (const std::exception& e) {
    throw RunError(1, "the source file in " + ws.dir() + ": " + e.what());
  }
  stop_if_cancelled();
  CacheState cache;
  if (req.on_progress) req.on_progress({RunProgress::Phase::Cache, 0, params.size, 0});
  try {
    cache = prepare_cache(ws.fd(), source, params.cache == "warm", cancel.flag());
  } catch (const std::exception& e) {
    throw RunError(1, "the source file in " + ws.dir() + ": " + e.what());
  }
  stop_if_cancelled();

  TracerOptions topt;
  topt.scenario_binary = binary;
  topt.emit_events = req.emit_events;
  std::unique_ptr<Tracer> tracer;
  try {
    if (req.traced) tracer = std::make_unique<Tracer>(topt);
  } catch (const TraceError& e) {
    throw RunError(2, e.what());
  }
  if (req.after_attach) req.after_attach();

  // Children of the scenario that outlive it come back to us to be reaped.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  Pipe go, result;
  ChildGroup child;
  const std::vector<std::string> args = {binary,        params.method,
                                         "--file",      file,
                                         "--workdir",   ws.dir(),
                                         "--size",      std::to_string(params.size),
                                         "--buffer",    std::to_string(params.buffer),
                                         "--sink",      params.sink,
                                         "--result-fd", "3"};
  child.pid = spawn_scenario(args, go.fd[0], go.fd[1], result.fd[1]);
  go.close_end(0);
  result.close_end(1);

  LiveRun local;
  LiveRun* sink = live ? live : &local;
  sink->set_budget(req.max_events, params.sink);
  stop_if_cancelled();
  if (tracer) {
    tracer->track(child.pid);
    tracer->start(sink, req.emit_events ? expected_events(params) : 0);
  }
  const uint64_t self_cpu_before = self_cpu_ns();
  if (write(go.fd[1], "g", 1) != 1) throw RunError(1, "could not start the scenario");
  go.close_end(1);

  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + std::chrono::seconds(req.timeout_s);
  bool timed_out = false, cancelled = false;
  rusage child_usage{};
  ExitWatch exit_watch(child.pid);
  for (;;) {
    // wait4: the scenario's CPU, with that of the children it reaped (its receiver).
    pid_t r = wait4(child.pid, &child.status, WNOHANG, &child_usage);
    if (r == child.pid) {
      child.reaped = true;
      break;
    }
    if (cancel.cancelled()) {
      cancelled = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      break;
    }
    exit_watch.wait(kCancelCheckMs);
    if (req.on_progress) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      req.on_progress({RunProgress::Phase::Transfer, 0, params.size, static_cast<uint64_t>(ms.count())});
    }
  }
  if (!child.reaped) {
    kill(-child.pid, SIGKILL);
    waitpid(child.pid, &child.status, 0);
    child.reaped = true;
  }
  // The scenario has exited: whatever is left of its process group is a stray
  // (say a receiver still waiting in accept()) and would hold the result pipe open.
  kill(-child.pid, SIGKILL);
  if (tracer) tracer->stop();
  if (req.on_progress) req.on_progress({RunProgress::Phase::Collect, 0, params.size, 0});
  const uint64_t self_cpu = self_cpu_ns() - self_cpu_before;

  Run run;
  run.params = params;
  run.result.cpu_ns = child.reaped ? rusage_cpu_ns(child_usage) : 0;
  run.result.capture_cpu_ns = tracer ? self_cpu : 0;
  if (tracer) tracer->collect(run);
  sink->take_log(run);
  sort_events(run.events);
  run.result.cache_resident_pages = cache.resident_pages;
  run.result.file_pages = cache.total_pages;
  run.result.extra = json::object();
  if (!clamps.empty()) run.result.extra["clamps"] = clamps;

  if (cancelled || timed_out) {
    run.partial = true;
    run.result.error = cancelled ? "interrupted" : "timed out";
    auto partial = std::make_shared<Run>(std::move(run));
    if (cancelled) throw RunError(130, "interrupted: the scenario was stopped and cleaned up", partial);
    throw RunError(1,
                   "the scenario did not finish within " + std::to_string(req.timeout_s) +
                       " s; it was stopped and cleaned up (raise --timeout for large sizes)",
                   partial);
  }
  json res = json::parse(read_all(result.fd[0]), nullptr, false);
  if (res.is_discarded() || !res.is_object())
    throw RunError(1,
                   "the scenario exited (status " + std::to_string(WEXITSTATUS(child.status)) + ") without a result");
  if (res.contains("error")) throw RunError(1, params.method + " failed: " + res["error"].get<std::string>());
  run.result.ok = true;
  run.result.bytes = res.value("bytes", uint64_t{0});
  run.result.units = res.value("units", uint64_t{0});
  run.result.duration_ns = res.value("duration_ns", uint64_t{0});
  run.result.sink = res.value("sink", json::object());
  // The runner's clamps first, then the ones the method made on top of them.
  json extra = res.value("extra", json::object());
  if (!extra.is_object()) extra = json::object();
  json all = clamps;
  if (extra.contains("clamps") && extra["clamps"].is_array())
    for (const json& c : extra["clamps"]) all.push_back(c);
  if (!all.empty()) extra["clamps"] = std::move(all);
  run.result.extra = std::move(extra);
  // Never a silent zero: a transfer that moved data made system calls, so a
  // capture that saw none of them could not see the scenario at all.
  if (tracer && run.result.bytes > 0 && run.sender().syscall_enters == 0)
    throw RunError(2, "the scenario moved " + format_bytes(run.result.bytes) +
                          " but the capture saw none of its system calls (no access to tracefs, a missing "
                          "capability, or the phase markers did not attach): no result is better than zeros; "
                          "run as root on a kernel with BTF");
  return run;
}

}  // namespace copyscope
