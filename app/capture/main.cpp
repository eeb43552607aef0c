// copyscope-capture: the one privileged part of copyscope, as dumpcap is
// Wireshark's. Installed for group copyscope with capabilities it holds only
// while it loads and attaches the tracing programs (raise_capabilities(),
// packaging/debian/postinst), it runs one scenario and streams what it
// captured to the unprivileged copyscope that started it
// (launch/capture_protocol.h).
//
// What it trusts of its caller: nothing but a method of the method table and
// numbers, all checked as the CLI checks them, and one directory: the
// caller's workspace, handed over as an open fd and checked to be a private
// directory of the caller's uid (the path must name that same directory).
// It writes only the scenario's source file there and its messages to the
// socket. It runs as the calling user; the scenario it starts gets no
// capabilities (they are not inherited across exec).
//
//   copyscope-capture --parent PID --workspace DIR --method M --size N
//       --buffer N --cache cold|warm --sink S --timeout S [--no-events]
//   with the socket on fd 3 and the workspace directory on fd 4.
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "launch/cancel.h"
#include "launch/capture_protocol.h"
#include "launch/runner.h"
#include "model/live_run.h"
#include "model/run_json.h"
#include "trace/environment.h"

using namespace copyscope;
namespace cap = copyscope::capture;

namespace {

struct Args {
  pid_t parent = 0;
  std::string workspace;
  RunParams params;
  unsigned timeout_s = 60;
  bool emit_events = true;
};

bool parse_u64(const char* s, uint64_t* out) {
  if (!s || !*s) return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || *end || s[0] == '-') return false;
  *out = v;
  return true;
}

// Throws std::invalid_argument with what is wrong.
Args parse(int argc, char** argv) {
  Args a;
  bool have_parent = false, have_method = false;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--no-events") {
      a.emit_events = false;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
    const char* v = argv[++i];
    uint64_t n = 0;
    if (k == "--parent" && parse_u64(v, &n) && n > 0 && n < (1u << 22)) {
      a.parent = static_cast<pid_t>(n);
      have_parent = true;
    } else if (k == "--workspace") {
      a.workspace = v;
    } else if (k == "--method") {
      a.params.method = v;
      have_method = true;
    } else if (k == "--size" && parse_u64(v, &n)) {
      a.params.size = n;
    } else if (k == "--buffer" && parse_u64(v, &n)) {
      a.params.buffer = n;
    } else if (k == "--cache") {
      a.params.cache = v;
    } else if (k == "--sink") {
      a.params.sink = v;
    } else if (k == "--timeout" && parse_u64(v, &n) && n >= 1 && n <= 86400) {
      a.timeout_s = static_cast<unsigned>(n);
    } else {
      throw std::invalid_argument("bad argument " + k + " " + v);
    }
  }
  if (!have_parent || !have_method || a.workspace.empty())
    throw std::invalid_argument("--parent, --method and --workspace are required");
  return a;
}

// The socket's writers (the runner's thread with progress, the store thread
// with events) take turns, whole messages at a time.
class Channel {
 public:
  explicit Channel(CancelToken& cancel) : cancel_(cancel) {}
  void send(cap::MessageType type, const void* data, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_) return;
    if (!cap::send_message(cap::kSocketFd, type, data, n)) lost();
  }
  void send_json(cap::MessageType type, const nlohmann::json& j) {
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_) return;
    if (!cap::send_json(cap::kSocketFd, type, j)) lost();
  }

 private:
  void lost() {  // the caller is gone: stop the run, nothing to report to
    gone_ = true;
    cancel_.cancel();
  }
  CancelToken& cancel_;
  std::mutex mu_;
  bool gone_ = false;
};

// The package installs this program with CAP_BPF, CAP_PERFMON,
// CAP_DAC_READ_SEARCH and CAP_SYS_ADMIN permitted but not effective. They are
// raised only to load and attach the programs, then dropped for good before
// the scenario starts. CAP_DAC_READ_SEARCH reads tracepoint ids in a tracefs
// only root may enter; CAP_SYS_ADMIN is what this kernel's uprobe PMU asks
// for the USDT phase markers (with the other three alone, perf_event_open of
// a uprobe fails with EACCES).
bool raise_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data)) return false;
  for (auto& d : data) d.effective = d.permitted;
  return syscall(SYS_capset, &hdr, data) == 0;
}

void drop_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capset, &hdr, data) != 0) {
    std::fprintf(stderr, "copyscope-capture: cannot drop capabilities: %s\n", std::strerror(errno));
    _exit(1);
  }
}

int fail(Channel* ch, int code, const std::string& message, const std::shared_ptr<Run>& partial = nullptr) {
  if (ch)
    ch->send_json(cap::MessageType::Error, {{"code", code},
                                            {"message", message},
                                            {"partial", partial ? run_to_json(*partial) : nlohmann::json(nullptr)}});
  else
    std::fprintf(stderr, "copyscope-capture: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // Exec of a binary with file capabilities clears the parent-death signal:
  // set it again, then make sure the parent did not die before that.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct stat sock {};
  if (fstat(cap::kSocketFd, &sock) != 0 || !S_ISSOCK(sock.st_mode))
    return fail(nullptr, 2, "started by copyscope, not by hand: run 'copyscope run METHOD' instead");
  CancelToken cancel;
  Channel ch(cancel);
  Args a;
  try {
    a = parse(argc, argv);
  } catch (const std::exception& e) {
    return fail(&ch, 2, e.what());
  }
  if (getppid() != a.parent) return 1;  // the caller is gone already
  raise_capabilities();
  if (!has_capture_privilege())
    return fail(&ch, 2,
                "copyscope-capture has no CAP_BPF and CAP_PERFMON (the package sets them; on a filesystem without "
                "extended attributes it cannot): sudo setcap cap_bpf,cap_perfmon,cap_dac_read_search,cap_sys_admin+p " +
                    std::string(argv[0]) + ", or run copyscope with sudo");
  interrupt::install();
  interrupt::CancelOnInterrupt on_signal(cancel);

  // The caller hanging up (it exited, or was killed) stops the run.
  std::atomic<bool> done{false};
  std::thread watch([&] {
    pollfd p{cap::kSocketFd, POLLRDHUP, 0};
    while (!done.load()) {
      if (poll(&p, 1, 200) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        cancel.cancel();
        return;
      }
    }
  });
  struct Join {
    std::atomic<bool>& done;
    std::thread& t;
    ~Join() {
      done = true;
      t.join();
    }
  } join{done, watch};

  RunRequest req;
  req.params = a.params;
  req.timeout_s = a.timeout_s;
  req.emit_events = a.emit_events;
  req.allow_helper = false;
  req.workspace_fd = cap::kWorkspaceFd;
  req.workspace_dir = a.workspace;
  req.after_attach = drop_capabilities;
  auto last = std::chrono::steady_clock::time_point{};
  req.on_progress = [&](const RunProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100) && p.phase != RunProgress::Phase::Collect) return;
    last = now;
    ch.send_json(cap::MessageType::Progress, cap::progress_to_json(p));
  };
  LiveRun live;
  live.set_forward([&](const Event* e, size_t n) {
    for (size_t at = 0; at < n; at += cap::kEventsPerMessage)
      ch.send(cap::MessageType::Events, e + at, std::min(cap::kEventsPerMessage, n - at) * sizeof(Event));
  });
  try {
    const Run run = run_scenario(req, cancel, &live);
    ch.send_json(cap::MessageType::Result, run_to_json(run));
    return 0;
  } catch (const RunError& e) {
    return fail(&ch, e.exit_code, e.what(), e.partial);
  } catch (const std::exception& e) {
    return fail(&ch, 1, e.what());
  }
}
