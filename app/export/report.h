// A report for people: parameters, kernel and accounting, the comparison table,
// charts (PNG files beside the report) and the textbook deviations in words.
// FILE.md is Markdown; FILE.html is one self-contained page.
#pragma once

#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/run.h"

namespace copyscope {

// runs[i] belongs to summaries[i]. Charts go to FILE-<chart>.png beside the
// report. Throws std::runtime_error when a file cannot be written.
void write_report(const std::vector<Run>& runs, const std::vector<Summary>& summaries, const std::string& path);

}  // namespace copyscope
