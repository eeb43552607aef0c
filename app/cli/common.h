// Pieces every CLI command shares: options, parsing, running, errors.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "launch/runner.h"
#include "model/analysis.h"
#include "model/run.h"

namespace copyscope::cli {

constexpr const char* kExamples = R"(
EXAMPLES
  copyscope list
  copyscope run read_write --size 32M --buffer 64K --cache cold
  copyscope run sendfile --size 64M --json
  copyscope compare --all --size 64M
  copyscope compare read_write sendfile --cache warm --json
  copyscope compare --all --report report.html --lang zh

Exit codes: 0 ok, 1 the run failed, 2 usage or environment (with the reason).
Live capture needs a kernel with BTF and root, or the installed package and
group copyscope (sudo adduser $USER copyscope). Replay needs neither.
)";

struct CommonOptions {
  std::string size = "64M";
  std::string buffer = "64K";
  std::string cache = "cold";
  std::string sink;
  unsigned timeout = 60;
  size_t max_events = kDefaultMaxEvents;
  bool json = false;
  std::string trace;        // --trace FILE: Chrome Trace Event JSON
  std::string csv;          // --csv FILE: one row per run
  std::string report;       // --report FILE.html|.md: one self-contained page, or Markdown with SVG files beside it
  std::string lang = "en";  // --lang en|zh: the report's language
};

void add_common(CLI::App* app, CommonOptions& o);
[[noreturn]] void usage_error(const std::string& msg);  // one line, exit 2
RunParams params_from(const std::string& method, const CommonOptions& o);

struct RunOutcome {
  Run run;
  Summary summary;
};
// `progress`: a progress line on a terminal (cli/progress.h), named `label`
// (the method when empty).
RunOutcome run_one(const RunParams& p, const CommonOptions& o, bool progress, const std::string& label = {});
// --trace/--csv/--report/--lang; checked before a run and written after it by
// check_outputs() and finish_run() / finish_compare() in cli/output.h.
void add_export_options(CLI::App* app, CommonOptions& o);

// Subcommands, one file each; each sets `exit_code` when it runs.
CLI::App* add_list(CLI::App& app, int& exit_code);
CLI::App* add_run(CLI::App& app, int& exit_code);
CLI::App* add_trace(CLI::App& app, int& exit_code);  // any program (launch/trace_program.h)
CLI::App* add_compare(CLI::App& app, int& exit_code);
CLI::App* add_bench(CLI::App& app, int& exit_code);
// `bench` subcommands in files of their own, registered by add_bench.
CLI::App* add_bench_gui(CLI::App& bench, int& exit_code);
CLI::App* add_bench_load(CLI::App& bench, int& exit_code);
CLI::App* add_gui(CLI::App& app, int& exit_code);
// Plain `copyscope`: the GUI, or one line saying why there is no window.
int gui_or_default();
CLI::App* add_replay(CLI::App& app, int& exit_code);
CLI::App* add_vm(CLI::App& app, int& exit_code);

}  // namespace copyscope::cli
