// What the CLI prints and writes: human-readable tables for the terminal, and
// the exports (--trace, --csv, --report) checked before a run and written
// after it without losing the run's result when one of them fails.
#pragma once

#include <string>
#include <vector>

#include "cli/common.h"
#include "model/analysis.h"

namespace copyscope {

std::string format_summary(const Summary& s);
std::string format_compare_table(const std::vector<Summary>& rows);

namespace cli {

// Every file the exports of runs of `methods` would write: each run's trace
// (FILE, or FILE.METHOD.json with several runs), the CSV, the report and its
// charts (report_files()).
std::vector<std::string> export_files(const CommonOptions& o, const std::vector<std::string>& methods);
// Before any run: each of export_files() can be written (its directory exists
// and is writable, it is not a directory) and --report ends in .md or .html.
// Otherwise one line and exit 2, so a bad path never costs a run.
void check_outputs(const CommonOptions& o, const std::vector<std::string>& methods);
// Writes the requested exports, each through an OutputFile (no partial file is
// ever left). Each one that fails is a line in the returned list; the others
// are still written.
std::vector<std::string> write_outputs(const CommonOptions& o, const std::vector<RunOutcome>& runs);
std::vector<std::string> write_outputs(const CommonOptions& o, const std::vector<const RunOutcome*>& runs);
// The end of `run` (and of `replay`): writes the exports, prints the result
// (--json or the table) whatever happened to them, then one line per export
// that failed. Returns the exit code: 0, or 1 when an export failed.
int finish_run(const CommonOptions& o, const RunOutcome& r);
// The same for `compare`: the array or the table of every run.
int finish_compare(const CommonOptions& o, const std::vector<RunOutcome>& runs);
// After an interrupt or a timeout: exports what finished plus the partial run
// (marked partial), then rethrows `e`.
[[noreturn]] void export_partial_then_rethrow(const CommonOptions& o, std::vector<RunOutcome> done, const RunError& e);

}  // namespace cli

}  // namespace copyscope
