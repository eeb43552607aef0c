// copyscope bench: does tracing distort what it measures?
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "model/size.h"
#include "scenario/runner.h"

namespace copyscope::cli {

using nlohmann::json;

namespace {

struct BenchOptions {
  unsigned pairs = 5;
  std::string size = "256M";
  bool json = false;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mib_s(const Run& r) {
  return r.result.duration_ns ? (r.result.bytes / 1048576.0) / (r.result.duration_ns / 1e9) : 0.0;
}

// Untraced and traced runs of one scenario, interleaved, the order alternating
// so that neither side always runs on a fresher machine.
json overhead_row(const std::string& method, uint64_t buffer, uint64_t size, unsigned pairs, bool progress) {
  std::vector<double> untraced, traced, ratios;
  uint64_t dropped = 0, events = 0;
  for (unsigned i = 0; i < pairs; ++i) {
    if (progress)
      std::fprintf(stderr, "copyscope bench: %s buffer %s, pair %u/%u\n", method.c_str(), format_size(buffer).c_str(),
                   i + 1, pairs);
    RunRequest req;
    req.params = {method, size, buffer, "warm", "tcp"};
    double u = 0, t = 0;
    for (int side = 0; side < 2; ++side) {
      req.traced = (side == 0) == (i % 2 == 1);
      Run r = run_scenario(req);
      if (req.traced) {
        t = mib_s(r);
        dropped += r.sender().events_dropped + r.sink().events_dropped;
        events += r.sender().events_captured + r.sink().events_captured;
      } else {
        u = mib_s(r);
      }
    }
    untraced.push_back(u);
    traced.push_back(t);
    ratios.push_back(u > 0 ? t / u : 0);
  }
  auto round2 = [](double v) { return std::round(v * 100) / 100; };
  return {{"method", method},
          {"buffer", buffer},
          {"size", size},
          {"pairs", pairs},
          {"untraced_mib_s", round2(median(untraced))},
          {"traced_mib_s", round2(median(traced))},
          {"ratio", std::round(median(ratios) * 1000) / 1000},
          {"events_per_run", pairs ? events / pairs : 0},
          {"events_dropped", dropped}};
}

int overhead(const BenchOptions& o) {
  std::string err;
  auto size = parse_size(o.size, &err);
  if (!size) usage_error("--size " + err);
  if (o.pairs == 0) usage_error("--pairs must be at least 1");
  json rows = json::array();
  rows.push_back(overhead_row("read_write", 4096, *size, o.pairs, !o.json));
  rows.push_back(overhead_row("read_write", 65536, *size, o.pairs, !o.json));
  rows.push_back(overhead_row("sendfile", 65536, *size, o.pairs, !o.json));
  if (o.json) {
    std::cout << rows.dump(2) << "\n";
    return 0;
  }
  std::printf("%-12s %8s %14s %12s %7s %10s %8s\n", "method", "buffer", "untraced MiB/s", "traced MiB/s", "ratio",
              "events", "dropped");
  for (const auto& r : rows)
    std::printf("%-12s %8s %14.1f %12.1f %7.3f %10llu %8llu\n", r["method"].get<std::string>().c_str(),
                format_size(r["buffer"].get<uint64_t>()).c_str(), r["untraced_mib_s"].get<double>(),
                r["traced_mib_s"].get<double>(), r["ratio"].get<double>(),
                (unsigned long long)r["events_per_run"].get<uint64_t>(),
                (unsigned long long)r["events_dropped"].get<uint64_t>());
  std::printf("ratio = traced / untraced throughput, median of %u interleaved pairs, warm cache, tcp loopback\n",
              o.pairs);
  return 0;
}

}  // namespace

CLI::App* add_bench(CLI::App& app, int& exit_code) {
  static BenchOptions opt;
  auto* cmd = app.add_subcommand("bench", "performance benchmarks of copyscope itself");
  cmd->require_subcommand(1);
  auto* ov = cmd->add_subcommand("overhead", "throughput untraced vs traced (read_write 4K and 64K, sendfile)");
  ov->add_option("--pairs", opt.pairs, "untraced/traced pairs per row")->capture_default_str();
  ov->add_option("--size", opt.size, "bytes per run")->capture_default_str();
  ov->add_flag("--json", opt.json, "print a JSON array, one object per row");
  ov->footer("\nEXAMPLES\n  copyscope bench overhead\n  copyscope bench overhead --pairs 7 --size 512M --json\n");
  ov->callback([&exit_code] { exit_code = overhead(opt); });
  return cmd;
}

}  // namespace copyscope::cli
