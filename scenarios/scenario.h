// The scenario program (copyscope-scenario): one process tree per run, started by
// the runner, traced from outside. Each method lives in its own file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace scenario {

struct Options {
  std::string method;
  std::string file;     // source file, already created by the runner
  std::string workdir;  // the run's private temp directory
  uint64_t size = 0;
  uint64_t buffer = 64 * 1024;
  std::string sink = "tcp";
};

// Where the sender's bytes go; the receiving side runs in its own process.
struct Sink {
  std::string kind;
  int fd = -1;         // the sender writes here
  int pid = -1;        // receiver process, or -1
  int report_fd = -1;  // receiver's JSON report arrives here
  std::string path;    // for kind == file
};

struct Outcome {
  uint64_t bytes = 0;  // payload moved by the sender
  uint64_t units = 0;  // transfer iterations (chunks or calls)
  nlohmann::json extra = nlohmann::json::object();
};

// Transfer-phase markers (USDT probes copyscope:phase_begin / phase_end); they
// also time the phase with CLOCK_MONOTONIC (vDSO: no syscall inside the phase).
void phase_begin();
void phase_end();
// Marks another tracked process of the tree (e.g. an exec'd JVM that cannot
// fire USDT probes itself) as in or out of the sender's phase.
void phase_begin_for(int pid);
void phase_end_for(int pid);
uint64_t now_ns();
struct PhaseClock {
  uint64_t begin_ns = 0, end_ns = 0;
};
extern PhaseClock g_phase;

// Throws std::runtime_error on failure; the message reaches the user.
using MethodFn = Outcome (*)(const Options&, Sink&);

struct MethodEntry {
  const char* name;  // as in methods.h, which lists the sinks
  MethodFn run;
};

const MethodEntry* find_method(const std::string& name);

// A file sink is created in workdir (O_EXCL | O_NOFOLLOW).
Sink open_sink(const std::string& kind, const std::string& workdir);
nlohmann::json close_sink(Sink& sink);  // waits for the receiver, returns its report

int open_source(const Options& opt, int extra_flags = 0);
// A requested parameter the method had to change: appended to out.extra
// "clamps" ({what, requested, used, why}), so the run reports it.
void add_clamp(Outcome& out, const char* what, uint64_t requested, uint64_t used, const std::string& why);
// Sizes the pipe whose write end is pipe_wr for chunks of opt.buffer bytes and
// returns the chunk a splice into it can take: the buffer, or the pipe's
// capacity when that is smaller (reported as a clamp). *cap gets the capacity.
uint64_t pipe_chunk(int pipe_wr, const Options& opt, Outcome& out, int* cap);
[[noreturn]] void fail(const std::string& what);  // throws with strerror(errno)
void write_all(int fd, const char* buf, size_t n, uint64_t* calls);
// Splices exactly n bytes from the pipe's read end to fd; counts the calls.
void splice_all(int pipe_rd, int fd, size_t n, uint64_t* calls);
void read_exact(int fd, char* buf, size_t n);  // before the phase: fills buf from fd
// fork() whose child is killed when this process dies (PR_SET_PDEATHSIG), for
// children that would otherwise outlive it blocked (a receiver in accept(), a
// JVM). Call it outside the phase: the child's prctl is a syscall.
pid_t fork_tied();
// A new file `name` in workdir, opened relative to the directory with
// O_CREAT | O_EXCL | O_NOFOLLOW plus `flags`. Throws on failure.
int create_in_workdir(const std::string& workdir, const std::string& name, int flags);
void remove_from_workdir(const std::string& workdir, const std::string& name);  // best effort
// Waits for a child; returns its wait status.
int wait_child(int pid);
// The directory holding copyscope-scenario (the Java classes live in java/ there).
std::string binary_dir();

// Methods, one file each (methods.def).
#define COPYSCOPE_METHOD(name, sinks, needs) Outcome run_##name(const Options&, Sink&);
#include "methods.def"
#undef COPYSCOPE_METHOD
// Internal, not in methods.def (so never listed): bench pipeline's producer.
Outcome run_bench_pipeline(const Options&, Sink&);

}  // namespace scenario
