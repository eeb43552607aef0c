#include "ui/frame_bench.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>

#include "launch/cancel.h"
#include "ui/app.h"

namespace copyscope::ui {

namespace {

using Clock = std::chrono::steady_clock;

// What a user does with the timeline, frame by frame, in cycles of 60 frames:
// zoom in around a point (25 wheel notches), drag to pan (10 frames), zoom back
// out (25 notches). Each cycle zooms around another point, hovering spans
// (tooltips) on the way, so no frame repeats the one before it.
void timeline_input(const float rect[4], int frame) {
  ImGuiIO& io = ImGui::GetIO();
  const int cycle = frame / 60, k = frame % 60;
  const float fx[] = {0.5f, 0.2f, 0.8f, 0.35f, 0.65f};
  const float x = rect[0] + rect[2] * fx[cycle % 5];
  const float y = rect[1] + rect[3] * (0.15f + 0.2f * static_cast<float>(cycle % 4));
  // ImGui 1.86: the backend has just written these from the (idle) window; ours win.
  if (k < 25) {
    io.MousePos = ImVec2(x, y);
    io.MouseWheel = 1;
  } else if (k < 35) {
    // Press, drag left by 30 px a frame (later in time), release.
    io.MousePos = ImVec2(x - 30.0f * static_cast<float>(k - 25), y);
    io.MouseDown[ImGuiMouseButton_Left] = k < 34;
  } else {
    io.MousePos = ImVec2(x - 270.0f, y);
    io.MouseWheel = -1;
  }
}

}  // namespace

int run_frame_bench(const FrameBenchOptions& opt, FrameBenchResult* out) {
  GuiOptions g;
  g.width = opt.width;
  g.height = opt.height;
  g.panel = "timeline";
  App app(g);
  if (int rc = app.open_window(false)) return rc;

  const auto b0 = Clock::now();
  app.session.open_synthetic(opt.events);
  out->build_view_ms = std::chrono::duration<double, std::milli>(Clock::now() - b0).count();
  SessionRun* r = app.session.current();
  out->events = r ? r->run.events.size() : 0;
  out->renderer = app.renderer();
  app.framebuffer_size(&out->width, &out->height);

  auto timed = [&](const std::function<void()>& input) {
    const auto t0 = Clock::now();
    app.render_frame(1.0 / 60, input);
    app.swap_buffers();
    glFinish();  // the frame is done when the pixels are
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  // Two untimed frames: the font atlas is built on the first, the panel lays out.
  for (int i = 0; i < 2; ++i) timed({});
  for (int i = 0; i < opt.frames && !interrupt::requested(); ++i)
    out->timeline_ms.push_back(timed([&] { timeline_input(app.timeline_rect, i); }));

  // Data path: replay playing while the user scrubs the cursor across the run.
  app.prefs.panel = Panel::DataPath;
  timed({});
  for (int i = 0; i < opt.frames && !interrupt::requested(); ++i)
    out->datapath_ms.push_back(timed([&] {
      if (!r) return;
      app.prefs.playing = true;
      const double f = static_cast<double>(i) / std::max(1, opt.frames - 1);
      r->cursor = r->view.t0 + static_cast<uint64_t>(f * static_cast<double>(r->view.t1 - r->view.t0));
    }));
  app.close_window();
  return interrupt::requested() ? 130 : 0;
}

}  // namespace copyscope::ui
