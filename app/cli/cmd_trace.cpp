#include <cmath>
#include <cstdlib>
#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "launch/trace_program.h"
#include "model/textbook.h"

namespace copyscope::cli {

namespace {

constexpr const char* kTraceExamples = R"TXT(
EXAMPLES
  sudo copyscope trace -- cp big.iso /tmp/copy.iso          # copy_file_range
  sudo copyscope trace --json -- curl -s -o /dev/null http://127.0.0.1:8080/big
  sudo copyscope trace --pid 1234 --duration 10             # a running server, 10 s
  sudo copyscope trace --pid "$(pidof nginx | tr ' ' '\n' | sort -n | head -1)" --report nginx.html
  sudo copyscope trace --trace cp.json -- cp a b && copyscope replay cp.json

The command runs as you (SUDO_UID/SUDO_GID under sudo), with your environment.
Its threads and every child it forks are traced until it exits, Ctrl-C, or
--duration ends (then it gets SIGINT, and SIGKILL 2 s later). With --pid the
process keeps running: Ctrl-C or --duration detaches every probe. With --json
the command's standard output goes to standard error: stdout is the JSON.
flows[] group the data the program moved by source and destination and name
the textbook method each uses (read_write, mmap_write, sendfile, splice,
copy_file_range, io_uring, msg_zerocopy, direct_io, or other with a reason).

Exit codes: 0 ok, 1 the trace failed, 2 usage or environment (no such pid,
command not found, bad --duration, no privileges), 130 a command interrupted.
)TXT";

double parse_duration(const std::string& text) {
  std::string s = text;
  if (!s.empty() && s.back() == 's') s.pop_back();
  char* end = nullptr;
  const double v = s.empty() ? -1 : std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !std::isfinite(v) || v <= 0 || v > 86400)
    usage_error("--duration '" + text.substr(0, 64) + "' is not a number of seconds between 0 and 86400 (e.g. 10 or 2.5)");
  return v;
}

pid_t parse_pid(const std::string& text) {
  char* end = nullptr;
  const long v = text.empty() ? -1 : std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || v <= 0 || v > 4194304) usage_error("--pid '" + text.substr(0, 64) + "' is not a process id");
  return static_cast<pid_t>(v);
}

}  // namespace

CLI::App* add_trace(CLI::App& app, int& exit_code) {
  struct State {
    std::string pid, duration;
    std::vector<std::string> command;
    CommonOptions opt;
  };
  static State st;
  auto* cmd = app.add_subcommand("trace", "trace any program (a command, or a running process) and classify its data "
                                          "flows by textbook method");
  cmd->add_option("--pid", st.pid, "attach to this running process and its process tree (detached on Ctrl-C)");
  cmd->add_option("--duration", st.duration, "stop after this many seconds (e.g. 10, 2.5)");
  cmd->add_option("--max-events", st.opt.max_events, "events kept in memory (56 bytes each)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, kMaxLoggedEvents));
  cmd->add_flag("--json", st.opt.json, "print JSON (run --json's shape, plus flows[])");
  add_export_options(cmd, st.opt);
  // After --, every word is the command's, its own options included.
  cmd->add_option("command", st.command, "the program to run and its arguments, after --");
  cmd->footer(kTraceExamples);
  cmd->callback([&exit_code] {
    const std::vector<std::string>& command = st.command;
    const bool has_pid = !st.pid.empty();
    if (has_pid == !command.empty())
      usage_error(has_pid ? "give either --pid PID or a command after --, not both"
                          : "nothing to trace: give a command after -- (copyscope trace -- cp a b) or --pid PID");
    TraceRequest req;
    if (has_pid) req.pid = parse_pid(st.pid);
    req.command = command;
    if (!st.duration.empty()) req.duration_s = parse_duration(st.duration);
    req.max_events = st.opt.max_events;
    req.stdout_to_stderr = st.opt.json;
    check_outputs(st.opt, {kTraceMethod});
    CancelToken cancel;
    TraceOutcome t;
    {
      interrupt::CancelOnInterrupt on_signal(cancel);
      t = trace_program(req, cancel);
    }
    RunOutcome r;
    r.run = std::move(t.run);
    r.summary = summarize(r.run, nullptr);
    exit_code = finish_run(st.opt, r);
    if (exit_code == 0 && t.stopped_by == "interrupt" && !has_pid) exit_code = 130;
  });
  return cmd;
}

}  // namespace copyscope::cli
