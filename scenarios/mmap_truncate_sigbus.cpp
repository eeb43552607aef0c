// The hazard of mmap: a child maps the file and reads it page by page; the
// parent (another process) truncates the file under it; the child's next access
// beyond the new end takes SIGBUS. That SIGBUS is the expected outcome.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "scenario.h"

namespace scenario {

namespace {

int g_report_fd = -1;

// Async-signal-safe: say where it hit, then leave.
void on_sigbus(int, siginfo_t* si, void*) {
  uint64_t addr = reinterpret_cast<uint64_t>(si->si_addr);
  (void)!write(g_report_fd, &addr, sizeof addr);
  _exit(0);
}

}  // namespace

Outcome run_mmap_truncate_sigbus(const Options& opt, Sink&) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int status_pipe[2], step[2], go[2];
  if (pipe(status_pipe) || pipe(step) || pipe(go)) fail("pipe");
  const uint64_t half = opt.size / 2 / page * page;

  phase_begin();
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    int in = open_source(opt);
    auto* map = static_cast<volatile unsigned char*>(mmap(nullptr, opt.size, PROT_READ, MAP_SHARED, in, 0));
    if (map == MAP_FAILED) _exit(2);
    g_report_fd = status_pipe[1];
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, nullptr);
    uint64_t sum = 0;
    for (uint64_t off = 0; off < half; off += page) sum += map[off];
    // Tell the parent how far we got, then wait while it truncates.
    (void)!write(step[1], &half, sizeof half);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(3);
    for (uint64_t off = half; off < opt.size; off += page) sum += map[off];
    (void)sum;
    _exit(4);  // no SIGBUS: the truncation did not reach the mapping
  }
  uint64_t read_before = 0;
  if (read(step[0], &read_before, sizeof read_before) != static_cast<ssize_t>(sizeof read_before))
    throw std::runtime_error("the mapping child did not start");
  int fd = open(opt.file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail("open for truncation");
  if (ftruncate(fd, 0)) fail("ftruncate");
  close(fd);
  (void)!write(go[1], "g", 1);
  uint64_t fault_addr = 0;
  close(status_pipe[1]);
  const bool reported = read(status_pipe[0], &fault_addr, sizeof fault_addr) == static_cast<ssize_t>(sizeof fault_addr);
  int status = wait_child(pid);
  phase_end();

  Outcome out;
  if (!reported) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
      throw std::runtime_error("the child read the truncated range without SIGBUS");
    throw std::runtime_error("the mapping child failed (status " + std::to_string(status) + ")");
  }
  out.bytes = read_before;
  out.units = read_before / page;
  out.extra["outcome"] = "SIGBUS";
  out.extra["sigbus"] = true;
  out.extra["child_pid"] = pid;
  out.extra["file_size_before"] = opt.size;
  out.extra["truncated_to"] = 0;
  out.extra["read_before_truncation"] = read_before;
  out.extra["fault_address"] = fault_addr;
  out.extra["explanation"] =
      "the child mapped the file and read " + std::to_string(read_before) +
      " bytes; another process (the parent) truncated the file to 0; the child's next read of the mapping "
      "touched a page beyond the new end of file, which has no backing, and the kernel sent SIGBUS";
  return out;
}

}  // namespace scenario
