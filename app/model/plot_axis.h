// Axes a student can read: ticks at 1, 2 or 5 times a power of ten, labelled
// in the unit that suits the largest value ("250 MiB/s", "1.5 k/s", "2 ms"),
// never in scientific notation; and the smoothing the plots offer. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace copyscope {

struct Tick {
  double value;       // in the data's own unit (bytes/s, events/s, ns)
  std::string label;  // "250 MiB/s"
};

// 0, step, 2*step, ... up to the first tick >= max, with step 1, 2 or 5 x 10^k
// chosen so that there are at most max_ticks + 1 ticks. max <= 0: {0, 1}.
std::vector<double> nice_ticks(double max, int max_ticks);

// Byte rates in binary units (B/s, KiB/s, MiB/s, GiB/s): nice steps in the unit
// the top tick is written in, so labels are round ("256 MiB/s", not "268.4 MB/s").
std::vector<Tick> rate_ticks(double max_bytes_per_s, int max_ticks);
// Counts per second with SI prefixes: "0", "500 /s", "1.5 k/s", "2 M/s".
std::vector<Tick> per_second_ticks(double max, int max_ticks);
// Times from 0 in ns, µs, ms or s: "0", "500 µs", "1 ms", "1.5 ms".
std::vector<Tick> time_ticks(double span_ns, int max_ticks);

// A count per second with an SI prefix, three significant digits: "229 k/s", "1.5 M/s", "12 /s".
std::string format_per_second(double v);

// A number with at most two decimals and no trailing zeros: "1.5", "250", "0.25".
std::string plain_number(double v);

// Mean over a centred window of `window` bins (odd; at the edges, what there is).
std::vector<double> moving_average(const std::vector<double>& v, int window);

}  // namespace copyscope
