// A report for people: parameters, kernel and accounting, the comparison table,
// charts (PNG files beside the report) and the textbook deviations in words.
// FILE.md is Markdown; FILE.html is one self-contained page.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/run.h"

namespace copyscope {

// Timeline excerpts for the first runs only: a report stays readable.
inline constexpr size_t kMaxTimelineCharts = 4;

// runs[i] belongs to summaries[i]. Charts go to FILE-<chart>.png beside the
// report (report_files names them). Every file goes through an OutputFile and
// is renamed into place only when all are complete. Throws std::runtime_error
// (OutputError) when a file cannot be written; then none is left behind.
void write_report(const std::vector<Run>& runs, const std::vector<Summary>& summaries, const std::string& path);
// The same without copying the runs (their events can be most of the memory).
void write_report(const std::vector<const Run*>& runs, const std::vector<Summary>& summaries, const std::string& path);

// Every file a report of `runs` runs may write: the report itself first, then
// FILE-copies.png, FILE-switches.png and FILE-timeline-N.png (N = 1, 2, ...,
// the run's position; a run without events gets none). Nothing in the names
// comes from a run, so a trace cannot choose where a report writes.
std::vector<std::string> report_files(const std::string& path, size_t runs);

}  // namespace copyscope
