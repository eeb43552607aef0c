// copyscope bench gui: frame times of the Timeline and Data path panels over a
// synthetic run, on the current display.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "ui/app.h"
#include "ui/frame_bench.h"

namespace copyscope::cli {

using nlohmann::json;

namespace {

struct BenchGuiOptions {
  size_t events = 1'000'000;
  int frames = 240;
  bool json = false;
};

// Nearest-rank percentile of the samples (q in 0..1).
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double round2(double v) { return std::round(v * 100) / 100; }

json figures(const std::vector<double>& ms) {
  return {{"frames", ms.size()},
          {"frame_ms_median", round2(percentile(ms, 0.5))},
          {"frame_ms_p95", round2(percentile(ms, 0.95))},
          {"frame_ms_max", round2(percentile(ms, 1.0))}};
}

int bench_gui(const BenchGuiOptions& o) {
  if (o.events == 0) usage_error("--events must be at least 1");
  if (o.frames < 1) usage_error("--frames must be at least 1");
  if (!ui::display_available())
    usage_error(
        "bench gui needs a display (DISPLAY or WAYLAND_DISPLAY): run it on a desktop or under "
        "xvfb-run -s \"-screen 0 1600x900x24\" copyscope bench gui");
  if (!o.json) std::fprintf(stderr, "copyscope bench gui: %zu events, %d frames per panel...\n", o.events, o.frames);
  ui::FrameBenchOptions fo;
  fo.events = o.events;
  fo.frames = o.frames;
  ui::FrameBenchResult res;
  if (int rc = ui::run_frame_bench(fo, &res)) return rc;
  std::vector<double> all = res.timeline_ms;
  all.insert(all.end(), res.datapath_ms.begin(), res.datapath_ms.end());
  json j = figures(all);
  j["events"] = res.events;
  j["width"] = res.width;
  j["height"] = res.height;
  j["renderer"] = res.renderer;
  j["swap_interval"] = 0;
  j["build_view_ms"] = round2(res.build_view_ms);
  j["panels"] = {{"timeline", figures(res.timeline_ms)}, {"datapath", figures(res.datapath_ms)}};
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%-9s %9s %7s %12s %9s %9s\n", "panel", "events", "frames", "median ms", "p95 ms", "max ms");
  auto row = [&](const char* name, const json& f) {
    std::printf("%-9s %9zu %7zu %12.2f %9.2f %9.2f\n", name, res.events, f["frames"].get<size_t>(),
                f["frame_ms_median"].get<double>(), f["frame_ms_p95"].get<double>(), f["frame_ms_max"].get<double>());
  };
  row("timeline", j["panels"]["timeline"]);
  row("datapath", j["panels"]["datapath"]);
  row("both", j);
  std::printf(
      "%dx%d, %s, vsync off; a frame = input + model + panels + render + swap + glFinish; "
      "views built once in %.0f ms (not in any frame)\n",
      res.width, res.height, res.renderer.c_str(), res.build_view_ms);
  return 0;
}

}  // namespace

CLI::App* add_bench_gui(CLI::App& bench, int& exit_code) {
  static BenchGuiOptions opt;
  auto* cmd = bench.add_subcommand("gui", "frame times of the Timeline and Data path panels over a synthetic run");
  cmd->add_option("--events", opt.events, "events in the synthetic run")->capture_default_str();
  cmd->add_option("--frames", opt.frames, "frames rendered per panel")->capture_default_str();
  cmd->add_flag("--json", opt.json, "print one JSON object");
  cmd->footer(
      "\nThe timeline is zoomed, panned and hovered as a user would; the data path replays while\n"
      "its cursor is dragged across the run. Needs a display (xvfb-run works).\n\nEXAMPLES\n"
      "  xvfb-run -s \"-screen 0 1600x900x24\" copyscope bench gui\n"
      "  copyscope bench gui --events 2000000 --json\n");
  cmd->callback([&exit_code] { exit_code = bench_gui(opt); });
  return cmd;
}

}  // namespace copyscope::cli
