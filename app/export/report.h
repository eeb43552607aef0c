// A report for people: parameters, kernel and accounting, the comparison
// table, charts, each run's data-path diagram and the textbook deviations in
// words, in English or Simplified Chinese.
// FILE.html is one self-contained page: its pictures are inline SVG, nothing
// is loaded from anywhere. FILE.md is Markdown; its pictures are SVG files
// beside it (report_files() names them) and it links nothing else.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/run.h"

namespace copyscope {

// Timeline excerpts for the first runs only: a report stays readable.
inline constexpr size_t kMaxTimelineCharts = 4;

// The languages of a report: its headings, tables, notes and the textbook's
// texts. Sentences the analysis writes (deviations' reasons, notes, stage
// rules) are English in both.
bool is_report_lang(const std::string& lang);  // en | zh

// runs[i] belongs to summaries[i]. Every file goes through an OutputFile and
// is renamed into place only when all are complete. Throws std::runtime_error
// (OutputError) when a file cannot be written, or for a `lang` that is not
// is_report_lang(); then none is left behind.
void write_report(const std::vector<Run>& runs, const std::vector<Summary>& summaries, const std::string& path,
                  const std::string& lang = "en");
// The same without copying the runs (their events can be most of the memory).
void write_report(const std::vector<const Run*>& runs, const std::vector<Summary>& summaries, const std::string& path,
                  const std::string& lang = "en");

// Exactly the files a report of `runs` runs writes, the report itself first.
// FILE.html (or .htm): that file alone. FILE.md: also FILE-copies.svg,
// FILE-switches.svg, FILE-datapath-N.svg for each run and FILE-timeline-N.svg
// for the first kMaxTimelineCharts (N = 1, 2, ..., the run's position).
// Nothing in the names comes from a run, so a trace cannot choose where a
// report writes.
std::vector<std::string> report_files(const std::string& path, size_t runs);

}  // namespace copyscope
