// Human-readable tables for the terminal.
#pragma once

#include <string>
#include <vector>

#include "model/analysis.h"

namespace copyscope {

std::string format_summary(const Summary& s);
std::string format_compare_table(const std::vector<Summary>& rows);

}  // namespace copyscope
