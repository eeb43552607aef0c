// The frame benchmark behind `copyscope bench gui`: the Timeline and Data path
// panels over a synthetic run, driven by scripted mouse input like a user.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace copyscope::ui {

struct FrameBenchOptions {
  size_t events = 1'000'000;
  int frames = 240;  // per panel
  int width = 1600, height = 900;
};

struct FrameBenchResult {
  size_t events = 0;                             // events in the run the panels show
  int width = 0, height = 0;                     // framebuffer actually rendered
  std::string renderer;                          // GL_RENDERER
  double build_view_ms = 0;                      // deriving the panels' data once, not part of any frame
  std::vector<double> timeline_ms, datapath_ms;  // one whole frame each, swap included
};

// Opens a window (vsync off), renders `frames` warm-up-free frames of each
// panel and returns 0; 2 with a message on stderr when no window can be opened.
int run_frame_bench(const FrameBenchOptions& opt, FrameBenchResult* out);

}  // namespace copyscope::ui
