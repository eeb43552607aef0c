#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "export/output_file.h"
#include "export/svg.h"
#include "export/trace.h"
#include "model/textbook.h"

namespace copyscope::cli {

CLI::App* add_replay(CLI::App& app, int& exit_code) {
  struct State {
    std::string file;
    CommonOptions opt;  // only --json and the export options are used
    std::string svg;    // --svg FILE.svg: the data-path diagram alone
  };
  static State st;
  auto* cmd = app.add_subcommand("replay", "show the summary of a saved trace (no privileges needed)");
  cmd->add_option("file", st.file, "a trace written by --trace, or a recording in assets/recordings")->required();
  cmd->add_flag("--json", st.opt.json, "print JSON (the same contract as 'run --json')");
  add_export_options(cmd, st.opt);
  cmd->add_option("--svg", st.svg, "write the run's data-path diagram as an SVG file (in --lang)");
  cmd->footer(R"(
EXAMPLES
  copyscope replay assets/recordings/sendfile.json
  copyscope replay run.json --json
  copyscope replay run.json --report report.html
  copyscope replay assets/recordings/splice.json --report splice.html --lang zh
  copyscope replay assets/recordings/sendfile.json --svg sendfile.svg

Exit codes: 0 ok, 1 an export failed (the summary is still printed), 2 the file is missing or not a
copyscope trace, or an output path cannot be written (with the reason).
)");
  cmd->callback([&exit_code] {
    check_outputs(st.opt, {std::string()});  // one run: the names as given
    if (!st.svg.empty()) {
      if (st.svg.size() < 5 || st.svg.compare(st.svg.size() - 4, 4, ".svg") != 0)
        usage_error("--svg " + st.svg + ": the name must end in .svg");
      for (const std::string& f : export_files(st.opt, {std::string()}))
        if (f == st.svg) usage_error("the diagram and another export would both be written to " + f);
      try {
        check_output_path(st.svg, "diagram");
      } catch (const OutputError& e) {
        usage_error(e.what());
      }
    }
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
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    r.summary = summarize(r.run, tb);
    std::string svg_failed;
    if (!st.svg.empty()) {
      try {
        write_output(st.svg, svg::document(svg::datapath(r.run, r.summary, tb, st.opt.lang)), "diagram");
        if (!st.opt.json) std::fprintf(stderr, "copyscope: wrote diagram %s\n", st.svg.c_str());
      } catch (const std::exception& e) {
        svg_failed = e.what();
      }
    }
    exit_code = finish_run(st.opt, r);
    if (!svg_failed.empty()) {
      std::fprintf(stderr, "copyscope: %s (the summary is above)\n", svg_failed.c_str());
      exit_code = 1;
    }
  });
  return cmd;
}

}  // namespace copyscope::cli
