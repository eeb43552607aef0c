// Traces any program (copyscope trace): a command started here as the
// invoking user, or a running process, with its whole process tree (threads,
// and children as they fork), until it exits, the run is cancelled (Ctrl-C)
// or the duration ends. No phase markers: the traced lifetime is the phase.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launch/cancel.h"
#include "launch/runner.h"
#include "model/run.h"

namespace copyscope {

struct TraceRequest {
  std::vector<std::string> command;  // run this (argv; argv[0] looked up in PATH) ...
  pid_t pid = 0;                     // ... or attach to this process's tree
  double duration_s = 0;             // 0: until the program exits or the run is cancelled
  bool stdout_to_stderr = false;     // the command's stdout goes to stderr (--json keeps stdout one document)
  size_t max_events = kDefaultMaxEvents;
};

// How a traced run ended: the program exited, the duration ran out, or it was cancelled.
struct TraceOutcome {
  Run run;
  std::string stopped_by;  // exit | duration | interrupt
};

// The path `name` runs as (execvp's search of PATH), or empty: not found or not executable.
std::string find_command(const std::string& name);

// Throws RunError(2, ...) for a process that does not exist or a command not
// found, before anything is attached. A cancelled run ends the trace: with a
// command, the command gets SIGINT (SIGKILL 2 s later) and is reaped; an
// attached process is left running, the tracing programs detached.
TraceOutcome trace_program(const TraceRequest& req, const CancelToken& cancel);

}  // namespace copyscope
