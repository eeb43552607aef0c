// One row per run, every counter a column, RFC 4180 quoting: a spreadsheet-ready
// table of `compare --all`.
#pragma once

#include <string>
#include <vector>

#include "model/analysis.h"

namespace copyscope {

std::vector<std::string> csv_header();
std::vector<std::string> csv_row(const Summary& s);
std::string csv_quote(const std::string& field);  // quotes only when needed
std::string to_csv(const std::vector<Summary>& rows);
// Through an OutputFile: nothing is left behind when it fails. Throws
// OutputError (a std::runtime_error) when the file cannot be written.
void write_csv(const std::vector<Summary>& rows, const std::string& path);

}  // namespace copyscope
