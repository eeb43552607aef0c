#include "model/format.h"

#include <cmath>
#include <cstdio>

namespace copyscope {

namespace {

// `v` in units of 1024 with one decimal; a value that would print as 1024.0
// of one unit is shown as 1.0 of the next.
std::string binary_units(double v, const char* suffix) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  char buf[48];
  if (!(v >= 0)) v = 0;  // negative or NaN: nothing to show
  if (v < 1024) {
    std::snprintf(buf, sizeof buf, "%.0f %s%s", std::floor(v), kUnits[0], suffix);
    return buf;
  }
  size_t u = 0;
  while (u + 1 < std::size(kUnits) && v >= 1024) {
    v /= 1024;
    ++u;
  }
  if (v >= 1023.95 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  std::snprintf(buf, sizeof buf, "%.1f %s%s", v, kUnits[u], suffix);
  return buf;
}

}  // namespace

std::string format_bytes(uint64_t bytes) { return binary_units(static_cast<double>(bytes), ""); }

std::string format_rate(double bytes_per_s) { return binary_units(bytes_per_s, "/s"); }

std::string format_duration(double ns) {
  static const char* const kUnits[] = {"ns", "\u00b5s", "ms", "s"};
  if (!(ns >= 0)) ns = 0;
  size_t u = 0;
  // 999.96 us would print as "1000 us": such values move up a unit.
  while (u + 1 < std::size(kUnits) && ns >= 999.5) {
    ns /= 1000;
    ++u;
  }
  char buf[48];
  const int decimals = u == 0 || ns >= 99.95 ? 0 : ns >= 9.995 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f %s", decimals, ns, kUnits[u]);
  return buf;
}

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_figure(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

}  // namespace copyscope
