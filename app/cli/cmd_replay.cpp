#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "export/trace.h"
#include "model/textbook.h"

namespace copyscope::cli {

CLI::App* add_replay(CLI::App& app, int& exit_code) {
  struct State {
    std::string file;
    CommonOptions opt;  // only --json and the export options are used
  };
  static State st;
  auto* cmd = app.add_subcommand("replay", "show the summary of a saved trace (no privileges needed)");
  cmd->add_option("file", st.file, "a trace written by --trace, or a recording in assets/recordings")->required();
  cmd->add_flag("--json", st.opt.json, "print JSON (the same contract as 'run --json')");
  add_export_options(cmd, st.opt);
  cmd->footer(R"(
EXAMPLES
  copyscope replay assets/recordings/sendfile.json
  copyscope replay run.json --json
  copyscope replay run.json --report report.html

Exit codes: 0 ok, 1 an export failed (the summary is still printed), 2 the file is missing or not a
copyscope trace, or an output path cannot be written (with the reason).
)");
  cmd->callback([&exit_code] {
    check_outputs(st.opt, {std::string()});  // one run: the names as given
    RunOutcome r;
    try {
      r.run = load_trace(st.file);
    } catch (const TraceFileError& e) {
      std::fprintf(stderr, "copyscope: %s\n", e.what());
      exit_code = 2;
      return;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "copyscope: %s: not enough memory to load this trace\n", st.file.c_str());
      exit_code = 2;
      return;
    } catch (const std::exception&) {
      // The loader throws only TraceFileError by contract; anything else is
      // still an unreadable trace, never a raw library message.
      std::fprintf(stderr, "copyscope: %s: cannot be read as a copyscope trace\n", st.file.c_str());
      exit_code = 2;
      return;
    }
    r.summary = summarize(r.run, Textbook::builtin().find(r.run.params.method));
    exit_code = finish_run(st.opt, r);
  });
  return cmd;
}

}  // namespace copyscope::cli
