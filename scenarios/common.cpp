#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sdt.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "scenario.h"

namespace scenario {

using nlohmann::json;

// The role argument tells the tracer who marks: 0 sender, 1 receiver.
uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

PhaseClock g_phase;

void phase_begin() {
  DTRACE_PROBE1(copyscope, phase_begin, 0);
  g_phase.begin_ns = now_ns();
}

void phase_end() {
  g_phase.end_ns = now_ns();
  DTRACE_PROBE1(copyscope, phase_end, 0);
}
// Same probes with a second argument: the tracked process to mark.
void phase_begin_for(int pid) { DTRACE_PROBE2(copyscope, phase_begin, 0, pid); }
void phase_end_for(int pid) { DTRACE_PROBE2(copyscope, phase_end, 0, pid); }
static void sink_phase_begin() { DTRACE_PROBE1(copyscope, phase_begin, 1); }
static void sink_phase_end() { DTRACE_PROBE1(copyscope, phase_end, 1); }

void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

void write_all(int fd, const char* buf, size_t n, uint64_t* calls) {
  while (n) {
    ssize_t w = write(fd, buf, n);
    if (calls) ++*calls;
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    buf += w;
    n -= static_cast<size_t>(w);
  }
}

void read_exact(int fd, char* buf, size_t n) {
  while (n) {
    ssize_t r = read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("read");
    if (r == 0) throw std::runtime_error("unexpected end of file");
    buf += r;
    n -= static_cast<size_t>(r);
  }
}

pid_t fork_tied() {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before the prctl: then no signal will come.
  if (getppid() != parent) _exit(127);
  return 0;
}

int create_in_workdir(const std::string& workdir, const std::string& name, int flags) {
  const int dir = open(workdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) fail("open " + workdir);
  const int fd = openat(dir, name.c_str(), flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  const int err = errno;
  close(dir);
  errno = err;
  if (fd < 0) fail("create " + workdir + "/" + name);
  return fd;
}

void remove_from_workdir(const std::string& workdir, const std::string& name) {
  const int dir = open(workdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return;
  unlinkat(dir, name.c_str(), 0);
  close(dir);
}

int wait_child(int pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid");
  return status;
}

std::string binary_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

void splice_all(int pipe_rd, int fd, size_t n, uint64_t* calls) {
  while (n) {
    ssize_t m = splice(pipe_rd, nullptr, fd, nullptr, n, SPLICE_F_MOVE);
    if (calls) ++*calls;
    if (m < 0) {
      if (errno == EINTR) continue;
      fail("splice pipe -> sink");
    }
    n -= static_cast<size_t>(m);
  }
}

int open_source(const Options& opt, int extra_flags) {
  int fd = open(opt.file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | extra_flags);
  if (fd < 0) fail("open " + opt.file);
  return fd;
}

void add_clamp(Outcome& out, const char* what, uint64_t requested, uint64_t used, const std::string& why) {
  json& clamps = out.extra["clamps"];
  if (!clamps.is_array()) clamps = json::array();
  clamps.push_back({{"what", what}, {"requested", requested}, {"used", used}, {"why", why}});
}

uint64_t pipe_chunk(int pipe_wr, const Options& opt, Outcome& out, int* cap) {
  // F_SETPIPE_SZ takes an int; 64 MiB is already 16384 slots of kernel memory.
  constexpr uint64_t kMaxAsk = 64u << 20;
  const uint64_t ask = std::min<uint64_t>(opt.buffer, kMaxAsk);
  std::string why;
  int got = fcntl(pipe_wr, F_SETPIPE_SZ, static_cast<int>(ask));
  if (got < 0) {
    const int err = errno;
    why = std::string("F_SETPIPE_SZ to ") + std::to_string(ask) + " bytes failed (" + std::strerror(err) + ")";
    // Without CAP_SYS_RESOURCE a pipe may grow only up to fs.pipe-max-size.
    uint64_t max = 0;
    if (FILE* f = std::fopen("/proc/sys/fs/pipe-max-size", "re")) {
      unsigned long long v = 0;
      if (std::fscanf(f, "%llu", &v) == 1) max = v;
      std::fclose(f);
    }
    if (err == EPERM && max && max < ask && (got = fcntl(pipe_wr, F_SETPIPE_SZ, static_cast<int>(max))) >= 0)
      why += ": above /proc/sys/fs/pipe-max-size (" + std::to_string(max) +
             " bytes) a pipe needs CAP_SYS_RESOURCE, so it was sized to that maximum";
    else if ((got = fcntl(pipe_wr, F_GETPIPE_SZ)) < 0)
      fail("F_GETPIPE_SZ");
    else
      why += ", so the pipe kept its size";
  } else if (ask < opt.buffer) {
    why = "copyscope asks for a pipe of at most " + std::to_string(kMaxAsk) + " bytes";
  }
  *cap = got;
  const uint64_t chunk = std::min<uint64_t>(opt.buffer, static_cast<uint64_t>(got));
  if (chunk < opt.buffer)
    add_clamp(out, "buffer", opt.buffer, chunk,
              "a splice into a pipe stops at the pipe's capacity, " + std::to_string(got) + " bytes here: " + why);
  return chunk;
}

namespace {

// The receiver: drains what arrives on fd, inside its own phase markers, and
// reports how much it got and in how many calls.
[[noreturn]] void receive_and_report(int fd, int report_fd, bool is_socket) {
  std::vector<char> buf(256 * 1024);
  uint64_t bytes = 0, calls = 0;
  sink_phase_begin();
  for (;;) {
    ssize_t r = is_socket ? recv(fd, buf.data(), buf.size(), 0) : read(fd, buf.data(), buf.size());
    ++calls;
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    bytes += static_cast<uint64_t>(r);
  }
  sink_phase_end();
  std::string report = json{{"received_bytes", bytes}, {"receive_calls", calls}}.dump();
  (void)!write(report_fd, report.data(), report.size());
  _exit(0);
}

}  // namespace

namespace {

// The TCP sink's listening socket. By default on loopback. In the lab VM
// (copyscope-vm) the receiver sits behind a real network card:
// COPYSCOPE_SINK_NETNS names a network namespace (a path such as
// /run/netns/copyscope-rx) and COPYSCOPE_SINK_ADDR the IPv4 address to listen
// on there. The socket is made inside that namespace (a socket stays in the
// namespace it was made in), then this process returns to its own, so the
// sender's connection leaves through the card that leads there.
int listen_for_receiver(sockaddr_in* addr) {
  const char* netns = std::getenv("COPYSCOPE_SINK_NETNS");
  const char* where = std::getenv("COPYSCOPE_SINK_ADDR");
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (where && *where && inet_pton(AF_INET, where, &addr->sin_addr) != 1)
    throw std::runtime_error(std::string("COPYSCOPE_SINK_ADDR '") + where + "' is not an IPv4 address");
  int home = -1;
  if (netns && *netns) {
    home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int there = open(netns, O_RDONLY | O_CLOEXEC);
    if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) != 0) fail(std::string("enter network namespace ") + netns);
    close(there);
  }
  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int err = errno;
  if (home >= 0) {
    if (setns(home, CLONE_NEWNET) != 0) fail("return to our network namespace");
    close(home);
  }
  errno = err;
  if (lfd < 0) fail("socket");
  socklen_t len = sizeof *addr;
  if (bind(lfd, reinterpret_cast<sockaddr*>(addr), sizeof *addr) || listen(lfd, 1) ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(addr), &len))
    fail(std::string("listen on ") + (where && *where ? where : "127.0.0.1"));
  return lfd;
}

}  // namespace

Sink open_sink(const std::string& kind, const std::string& workdir) {
  Sink s;
  s.kind = kind;
  if (kind == "null") {
    s.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (s.fd < 0) fail("open /dev/null");
    return s;
  }
  if (kind == "file") {
    s.path = workdir + "/sink.out";
    s.fd = create_in_workdir(workdir, "sink.out", O_WRONLY);
    return s;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC)) fail("pipe");
  if (kind == "pipe") {
    int p[2];
    if (pipe2(p, O_CLOEXEC)) fail("pipe");
    pid_t pid = fork_tied();
    if (pid < 0) fail("fork");
    if (pid == 0) {
      close(p[1]);
      close(report[0]);
      receive_and_report(p[0], report[1], false);
    }
    close(p[0]);
    close(report[1]);
    s.fd = p[1];
    s.pid = pid;
    s.report_fd = report[0];
    return s;
  }
  if (kind != "tcp") throw std::runtime_error("unknown sink '" + kind + "'");
  sockaddr_in addr{};
  const int lfd = listen_for_receiver(&addr);
  pid_t pid = fork_tied();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    close(report[0]);
    int c = accept(lfd, nullptr, nullptr);
    if (c < 0) _exit(3);
    close(lfd);
    receive_and_report(c, report[1], true);
  }
  close(report[1]);
  s.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0 || connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr)) {
    const int err = errno;
    kill(pid, SIGKILL);  // it waits in accept() for a connection that will not come
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    errno = err;
    fail("connect to the receiver (is the loopback interface up? `ip link set lo up`)");
  }
  close(lfd);
  s.pid = pid;
  s.report_fd = report[0];
  return s;
}

json close_sink(Sink& s) {
  json report = json::object();
  if (s.kind == "tcp") shutdown(s.fd, SHUT_WR);
  struct stat st {};
  const bool sized = s.kind == "file" && s.fd >= 0 && fstat(s.fd, &st) == 0;
  if (s.fd >= 0) close(s.fd);
  s.fd = -1;
  if (s.report_fd >= 0) {
    std::string text;
    char buf[512];
    ssize_t r;
    while ((r = read(s.report_fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
      if (r > 0) text.append(buf, static_cast<size_t>(r));
    close(s.report_fd);
    s.report_fd = -1;
    if (!text.empty()) report = json::parse(text, nullptr, false);
  }
  if (s.pid > 0) {
    int status = 0;
    while (waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
    }
    s.pid = -1;
  }
  if (sized) report["file_bytes"] = static_cast<uint64_t>(st.st_size);
  report["kind"] = s.kind;
  return report;
}

}  // namespace scenario
