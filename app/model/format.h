// Numbers as people read them, in one place: every view, the CLI text, the
// report and its charts call these, so a figure reads the same everywhere.
// Machine-readable outputs (JSON, CSV, trace) keep raw numbers.
#pragma once

#include <cstdint>
#include <string>

namespace copyscope {

constexpr double kMiB = 1024.0 * 1024.0;

// Binary units, one decimal from KiB up: "512 B", "1.0 KiB", "3.5 MiB", "2.0 GiB".
std::string format_bytes(uint64_t bytes);
// Bytes per second in the same units: "840.1 MiB/s", "1.3 GiB/s".
std::string format_rate(double bytes_per_s);
// Three significant digits in ns, µs, ms or s: "850 ns", "12.5 µs", "3.15 ms", "1.23 s".
// Text that must stay ASCII (the charts' bitmap font) turns "µ" into "u" itself.
std::string format_duration(double ns);
// Counts with thousands separators: "438", "1,048,576".
std::string format_count(uint64_t n);
// A figure such as copies or switches per transfer unit, measured or
// textbook: at most `decimals` places, no trailing zeros: "4", "4.03", "0.5".
std::string format_figure(double v, int decimals = 2);

}  // namespace copyscope
