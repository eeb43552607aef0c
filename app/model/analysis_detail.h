// Internal to the analysis (app/model/analysis*.cpp, threads.cpp,
// method_notes.cpp, summary_json.cpp): helpers the parts share.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "model/analysis.h"

namespace copyscope::analysis_detail {

inline double ratio(uint64_t num, uint64_t den) {
  return den ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
}

// Per-unit figures in JSON keep two decimals.
inline double round2(double v) { return std::round(v * 100.0) / 100.0; }

// Syscalls that move data into the caller's memory (read, recv...) / out of it (write, send...).
bool is_read_like(uint8_t sys);
bool is_write_like(uint8_t sys);

// The sender's threads that made syscalls, each with its role (threads.cpp).
std::vector<ThreadUse> thread_uses(const Run& run, const EventTally& tally, const TextbookMethod* tb);

// What each method teaches where the kernel differs from the textbook
// (method_notes.cpp).
void add_method_notes(const Run& run, Summary& s);

}  // namespace copyscope::analysis_detail
