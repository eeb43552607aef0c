#include "model/plot_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace copyscope {

std::vector<double> nice_ticks(double max, int max_ticks) {
  max_ticks = std::max(max_ticks, 1);
  if (!(max > 0) || !std::isfinite(max)) return {0, 1};
  const double raw = max / max_ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag * 10;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-9)) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  for (int i = 0;; ++i) {
    const double v = step * i;
    out.push_back(v);
    if (v >= max * (1 - 1e-9) || i > max_ticks + 1) break;
  }
  return out;
}

std::string plain_number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string format_per_second(double v) {
  static const char* const kUnits[] = {" /s", " k/s", " M/s", " G/s"};
  if (!(v > 0) || !std::isfinite(v)) return "0 /s";
  size_t u = 0;
  while (u + 1 < std::size(kUnits) && v >= 999.5) {
    v /= 1000;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f%s", v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2, v, kUnits[u]);
  std::string s = buf;
  // "1.50 k/s" -> "1.5 k/s"
  const size_t sp = s.find(' ');
  if (s.find('.') < sp) {
    size_t e = sp;
    while (s[e - 1] == '0') --e;
    if (s[e - 1] == '.') --e;
    s.erase(e, sp - e);
  }
  return s;
}

namespace {

// Ticks of `max` written in units of `unit` (its divisor), nice in that unit.
std::vector<Tick> in_unit(double max, int max_ticks, double divisor, const std::string& suffix) {
  std::vector<Tick> out;
  for (double t : nice_ticks(max / divisor, max_ticks))
    out.push_back({t * divisor, t == 0 ? "0" : plain_number(t) + suffix});
  return out;
}

// The largest of `units` (each `base` times the one before) that `max` reaches.
std::pair<double, const char*> unit_for(double max, double base, const char* const* units, size_t n) {
  size_t u = 0;
  double div = 1;
  while (u + 1 < n && max >= div * base) {
    div *= base;
    ++u;
  }
  return {div, units[u]};
}

}  // namespace

std::vector<Tick> rate_ticks(double max, int max_ticks) {
  static const char* const kUnits[] = {" B/s", " KiB/s", " MiB/s", " GiB/s", " TiB/s"};
  const auto [div, suffix] = unit_for(max, 1024, kUnits, std::size(kUnits));
  return in_unit(max, max_ticks, div, suffix);
}

std::vector<Tick> per_second_ticks(double max, int max_ticks) {
  static const char* const kUnits[] = {" /s", " k/s", " M/s", " G/s"};
  const auto [div, suffix] = unit_for(max, 1000, kUnits, std::size(kUnits));
  return in_unit(max, max_ticks, div, suffix);
}

std::vector<Tick> time_ticks(double span_ns, int max_ticks) {
  static const char* const kUnits[] = {" ns", " \u00b5s", " ms", " s"};
  const auto [div, suffix] = unit_for(span_ns, 1000, kUnits, std::size(kUnits));
  std::vector<Tick> out = in_unit(span_ns, max_ticks, div, suffix);
  while (out.size() > 1 && out.back().value > span_ns * (1 + 1e-9)) out.pop_back();  // inside the span only
  return out;
}

std::vector<double> moving_average(const std::vector<double>& v, int window) {
  const long half = std::max(window, 1) / 2;
  std::vector<double> out(v.size());
  const long n = static_cast<long>(v.size());
  for (long i = 0; i < n; ++i) {
    const long a = std::max(0L, i - half), b = std::min(n - 1, i + half);
    double sum = 0;
    for (long k = a; k <= b; ++k) sum += v[static_cast<size_t>(k)];
    out[static_cast<size_t>(i)] = sum / static_cast<double>(b - a + 1);
  }
  return out;
}

}  // namespace copyscope
