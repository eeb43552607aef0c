#include "launch/trace_program.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "model/format.h"
#include "model/live_run.h"
#include "trace/environment.h"
#include "trace/tracer.h"

namespace copyscope {

using nlohmann::json;

namespace {

constexpr int kCheckMs = 50;           // how soon a cancel or the end of the duration is noticed
constexpr int kGraceMs = 2000;         // after SIGINT, before SIGKILL
constexpr size_t kMaxArgBytes = 4096;  // of the command as the result records it

bool executable_file(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Process root and its descendants (from /proc), but never copyscope itself
// (--pid of the shell that started it): tracing our own reads of the ring
// would feed the ring.
std::set<pid_t> process_tree(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* d = opendir("/proc")) {
    while (dirent* ent = readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(ent->d_name, &end, 10);
      if (pid <= 0 || *end) continue;
      char path[64], buf[512];
      std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
      const int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      const ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n <= 0) continue;
      buf[n] = 0;
      const char* paren = std::strrchr(buf, ')');  // the name may hold spaces and parentheses
      int ppid = 0;
      if (paren && std::sscanf(paren + 1, " %*c %d", &ppid) == 1) children[ppid].push_back(static_cast<pid_t>(pid));
    }
    closedir(d);
  }
  std::set<pid_t> tree{root};
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p])
      if (c != getpid() && tree.insert(c).second) todo.push_back(c);
  }
  return tree;
}

// Whether the process behind pidfd has exited (a zombie counts).
bool exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Who the command runs as: the user behind sudo (SUDO_UID/SUDO_GID), else
// the real user; with that user's supplementary groups.
struct Identity {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Identity invoking_user() {
  Identity id;
  id.uid = getuid();
  id.gid = getgid();
  if (geteuid() == 0) {
    const char* su = std::getenv("SUDO_UID");
    const char* sg = std::getenv("SUDO_GID");
    char* end = nullptr;
    if (su && sg) {
      const unsigned long u = std::strtoul(su, &end, 10);
      const bool uok = *su && !*end;
      const unsigned long g = std::strtoul(sg, &end, 10);
      if (uok && *sg && !*end) {
        id.uid = static_cast<uid_t>(u);
        id.gid = static_cast<gid_t>(g);
      }
    }
  }
  if (geteuid() != 0) return id;  // not root: the command runs as we do
  id.change = true;
  // getgrouplist in the parent: the child of a threaded process should not call into NSS.
  if (const passwd* pw = getpwuid(id.uid)) {
    int n = 64;
    id.groups.resize(static_cast<size_t>(n));
    if (getgrouplist(pw->pw_name, id.gid, id.groups.data(), &n) < 0) {
      id.groups.resize(static_cast<size_t>(n));
      getgrouplist(pw->pw_name, id.gid, id.groups.data(), &n);
    }
    id.groups.resize(static_cast<size_t>(std::max(n, 0)));
  }
  if (id.groups.empty()) id.groups.push_back(id.gid);
  return id;
}

std::string printable_arg(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

// Starts `path` with `args` as `id`: it waits for a byte on go_fd (the tracer
// tracks it meanwhile), then execs; an exec that fails writes its errno on
// err_fd (close-on-exec: end of file means the exec worked).
pid_t spawn_command(const std::string& path, const std::vector<std::string>& args, const Identity& id, int go_fd,
                    int go_write_fd, int err_fd, bool stdout_to_stderr) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw RunError(1, std::string("fork: ") + std::strerror(errno));
  if (pid != 0) return pid;
  // The child: only async-signal-safe calls from here on.
  int err = 0;
  close(go_write_fd);
  char c;
  if (read(go_fd, &c, 1) != 1) _exit(127);  // the tracer never got ready
  close(go_fd);
  if (stdout_to_stderr) dup2(2, 1);
  if (id.change) {
    if (setgroups(id.groups.size(), id.groups.data()) != 0 || setgid(id.gid) != 0 || setuid(id.uid) != 0) {
      err = errno;
      (void)!write(err_fd, &err, sizeof err);
      _exit(126);
    }
  }
  // Set after the change of user, which clears it: the command does not outlive copyscope.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  execv(path.c_str(), argv.data());
  err = errno;
  (void)!write(err_fd, &err, sizeof err);
  _exit(127);
}

}  // namespace

std::string find_command(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return executable_file(name) ? name : std::string();
  const char* env = std::getenv("PATH");
  const std::string path = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  for (;;) {
    const size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (executable_file(candidate)) return candidate;
    if (colon == std::string::npos) return {};
    start = colon + 1;
  }
}

TraceOutcome trace_program(const TraceRequest& req, const CancelToken& cancel) {
  const bool attach = req.pid > 0;
  if (attach == !req.command.empty())
    throw RunError(2, "give either --pid PID or a command after --, not both or neither");
  std::string path;
  if (attach) {
    if (kill(req.pid, 0) != 0 && errno == ESRCH) throw RunError(2, "no such process: " + std::to_string(req.pid));
    if (req.pid == getpid()) throw RunError(2, "copyscope cannot trace itself: give another process's id");
  } else {
    path = find_command(req.command[0]);
    if (path.empty())
      throw RunError(2, "command not found: " + printable_arg(req.command[0]).substr(0, 256) +
                            " (not an executable file, nor in PATH)");
  }
  if (!has_capture_privilege())
    throw RunError(2,
                   "tracing a program needs root (run it with sudo): the capture helper copyscope-capture runs "
                   "copyscope's own scenarios only");
  const CaptureCheck check = check_live_capture();
  if (!check.ok) throw RunError(2, check.reason + "; " + check.fix);

  // The target's pidfd first: a process that exits meanwhile cannot be mistaken for a new one with its pid.
  Fd target(attach ? open_pidfd(req.pid) : -1);
  if (attach && target.fd < 0 && errno == ESRCH) throw RunError(2, "no such process: " + std::to_string(req.pid));

  TracerOptions topt;
  topt.whole_lifetime = true;
  topt.name_fds = true;
  std::unique_ptr<Tracer> tracer;
  try {
    tracer = std::make_unique<Tracer>(topt);
  } catch (const TraceError& e) {
    throw RunError(2, e.what());
  }

  LiveRun live;
  live.set_budget(req.max_events, kTraceSink);
  pid_t child = -1;
  int go[2] = {-1, -1}, err[2] = {-1, -1};
  if (attach) {
    // Track the tree found in /proc, then look again for children forked
    // while the first ones were being tracked (later forks the kernel follows).
    std::set<pid_t> tracked;
    for (int pass = 0; pass < 2; ++pass)
      for (pid_t p : process_tree(req.pid))
        if (tracked.insert(p).second) try {
            tracer->track(p);
          } catch (const TraceError& e) {
            throw RunError(1, e.what());
          }
  } else {
    const Identity id = invoking_user();
    if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw RunError(1, std::string("pipe: ") + std::strerror(errno));
    child = spawn_command(path, req.command, id, go[0], go[1], err[1], req.stdout_to_stderr);
    close(go[0]);
    close(err[1]);
    try {
      tracer->track(child);
    } catch (const TraceError& e) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      close(go[1]);
      close(err[0]);
      throw RunError(1, e.what());
    }
  }
  tracer->start(&live);
  const auto started = std::chrono::steady_clock::now();
  int status = 0;
  bool reaped = false;
  Fd child_fd;
  if (!attach) {
    child_fd.fd = open_pidfd(child);
    const ssize_t w = write(go[1], "g", 1);
    close(go[1]);
    int exec_err = 0;
    const ssize_t r = w == 1 ? read(err[0], &exec_err, sizeof exec_err) : -1;
    close(err[0]);
    if (w != 1 || r > 0) {
      waitpid(child, &status, 0);
      tracer->stop();
      throw RunError(2, "could not run " + printable_arg(req.command[0]).substr(0, 256) + ": " +
                            std::strerror(exec_err ? exec_err : EIO));
    }
  }

  std::string stopped_by = "exit";
  const auto deadline =
      started + std::chrono::milliseconds(static_cast<int64_t>(req.duration_s > 0 ? req.duration_s * 1000.0 : 0));
  const int watch_fd = attach ? target.fd : child_fd.fd;
  for (;;) {
    if (!attach) {
      const pid_t r = waitpid(child, &status, WNOHANG);
      if (r == child) {
        reaped = true;
        break;
      }
    } else if (target.fd >= 0 ? exited(target.fd) : (kill(req.pid, 0) != 0 && errno == ESRCH)) {
      break;
    }
    if (cancel.cancelled()) {
      stopped_by = "interrupt";
      break;
    }
    if (req.duration_s > 0 && std::chrono::steady_clock::now() >= deadline) {
      stopped_by = "duration";
      break;
    }
    if (watch_fd >= 0) {
      pollfd p{watch_fd, POLLIN, 0};
      poll(&p, 1, kCheckMs);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(kCheckMs));
    }
  }
  if (!attach && !reaped) {
    // The command is ours to stop: SIGINT as a terminal's Ctrl-C would, then SIGKILL.
    kill(child, SIGINT);
    const auto grace = std::chrono::steady_clock::now() + std::chrono::milliseconds(kGraceMs);
    while (!reaped) {
      const pid_t r = waitpid(child, &status, WNOHANG);
      if (r == child || (r < 0 && errno == ECHILD)) {
        reaped = true;
        break;
      }
      if (std::chrono::steady_clock::now() >= grace) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const auto ended = std::chrono::steady_clock::now();
  tracer->stop();

  TraceOutcome out;
  out.stopped_by = stopped_by;
  Run& run = out.run;
  run.params.method = kTraceMethod;
  run.params.sink = kTraceSink;
  run.params.cache = "warm";  // the program's files are as it finds them
  tracer->collect(run);
  tracer.reset();  // the programs detach here: nothing of copyscope stays in the kernel
  live.take_log(run);
  sort_events(run.events);
  run.result.ok = true;
  run.result.duration_ns =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(ended - started).count());
  // What the program delivered to descriptors (not into its own memory).
  for (const Flow& f : run.flows)
    if (f.role == Role::Sender && f.dst != CS_FD_USER) {
      run.result.bytes += f.bytes;
      run.result.units += f.calls;
    }
  json command = json::array();
  size_t arg_bytes = 0;
  for (const std::string& a : req.command) {
    if (arg_bytes > kMaxArgBytes) break;
    command.push_back(printable_arg(a).substr(0, 1024));
    arg_bytes += a.size();
  }
  run.result.sink = json::object();
  run.result.extra = {{"traced", attach ? "pid" : "command"}, {"stopped_by", stopped_by}};
  if (attach) run.result.extra["pid"] = req.pid;
  else {
    run.result.extra["command"] = command;
    run.result.extra["pid"] = child;
    if (WIFEXITED(status)) run.result.extra["exit_status"] = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) run.result.extra["signal"] = WTERMSIG(status);
  }
  return out;
}

}  // namespace copyscope
