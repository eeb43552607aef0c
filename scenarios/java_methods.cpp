// Java NIO: FileChannel.transferTo and FileChannel.map, run in a JVM child.
// The JVM starts outside the phase; when it says it is ready, this process
// marks the phase for itself and for the JVM (phase_begin_for), lets it go, and
// ends the phase when the JVM reports it is done.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "scenario.h"

namespace scenario {

namespace {

// Reads stderr lines of the JVM until one starts with `prefix`; returns it.
std::string wait_line(int fd, const std::string& prefix, std::string& pending, std::string& log) {
  for (;;) {
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.rfind(prefix, 0) == 0) return line;
      if (log.size() < 4000) log += line + "\n";
    }
    char buf[512];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return {};
    pending.append(buf, static_cast<size_t>(r));
  }
}

Outcome run_java(const Options& opt, Sink& sink, const char* cls, bool pass_buffer) {
  const std::string classes = binary_dir() + "/java";
  if (access((classes + "/" + cls + ".class").c_str(), R_OK))
    throw std::runtime_error(std::string("the Java class ") + cls + " was not built (no JDK at build time)");
  int to_jvm[2], from_jvm[2];
  if (pipe2(to_jvm, O_CLOEXEC) || pipe2(from_jvm, O_CLOEXEC)) fail("pipe");
  std::vector<std::string> args = {"java", "-XX:+UseSerialGC", "-Xshare:auto",          "-cp", classes,
                                   cls,    opt.file,           std::to_string(opt.size)};
  if (pass_buffer) args.push_back(std::to_string(opt.buffer));
  // Tied to us: a JVM left behind would go on writing into the sink for seconds.
  pid_t pid = fork_tied();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    dup2(to_jvm[0], 0);
    dup2(sink.fd, 1);
    dup2(from_jvm[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("java", argv.data());
    std::string msg = std::string("exec java: ") + std::strerror(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
  close(to_jvm[0]);
  close(from_jvm[1]);
  std::string pending, log;
  const uint64_t started = now_ns();
  if (wait_line(from_jvm[0], "copyscope:ready", pending, log).empty()) {
    wait_child(pid);
    throw std::runtime_error("the JVM did not start: " + log);
  }
  const uint64_t startup_ns = now_ns() - started;
  phase_begin();
  phase_begin_for(pid);
  if (write(to_jvm[1], "g", 1) != 1) fail("start the JVM");
  std::string done = wait_line(from_jvm[0], "copyscope:done", pending, log);
  phase_end_for(pid);
  phase_end();
  close(to_jvm[1]);
  int status = wait_child(pid);
  close(from_jvm[0]);
  if (done.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(std::string(cls) + " failed: " + log);
  Outcome out;
  std::istringstream in(done.substr(std::strlen("copyscope:done")));
  uint64_t calls = 0;
  in >> out.bytes >> calls;
  out.units = calls;
  out.extra["jvm_pid"] = pid;
  out.extra["jvm_startup_ms"] = startup_ns / 1000000;
  out.extra["java_calls"] = calls;
  out.extra["phase_marking"] =
      "the JVM cannot fire USDT probes: copyscope-scenario marks the phase for the JVM's pid after the JVM "
      "said it was ready, so JVM startup is excluded; the JVM's own service threads (GC, JIT) are in the phase too";
  return out;
}

}  // namespace

Outcome run_java_transferto(const Options& opt, Sink& sink) { return run_java(opt, sink, "TransferTo", false); }

Outcome run_java_mapped(const Options& opt, Sink& sink) { return run_java(opt, sink, "Mapped", true); }

}  // namespace scenario
