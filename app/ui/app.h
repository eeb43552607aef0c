// The window: session of runs, the live worker, the frame loop, fonts, theme,
// screenshots. Panels are free functions, one file each, handed the App.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/analysis.h"
#include "model/live_run.h"
#include "model/run.h"
#include "model/textbook.h"
#include "ui/run_view.h"
#include "ui/ui_state.h"

struct GLFWwindow;
struct ImDrawList;
struct ImFont;
struct ImVec2;

namespace copyscope::ui {

struct GuiOptions {
  std::string replay;      // a recording to open
  std::string run_method;  // start a live run of this method at once
  std::string size = "32M", buffer = "64K", cache = "cold", sink;
  size_t synthetic = 0;    // open a synthetic run of about this many events
  std::string panel = "datapath";
  std::string screenshot;  // write a PNG after `frames` frames (and any live run) and exit
  int frames = 10;
  double at = -1;           // open recordings with the replay cursor at this fraction (0..1)
  bool regions = false;     // also write FILE.png.json: where the panels drew (for tests)
  std::string lang = "en", theme;  // theme: default dark, light in classroom mode
  bool classroom = false;
  int width = 1600, height = 900;
};

// One run of the session: live, recorded or synthetic.
struct SessionRun {
  std::string label;
  std::string origin;  // live | recording | synthetic
  Run run;
  Summary summary;
  bool finished = false;
  bool failed = false;
  std::string error;
  RunView view;
  uint64_t cursor = 0;  // replay position (absolute ns)
};

// A live run on a worker thread: the tracer's store thread appends to `live`, the
// window copies what is new once per frame.
struct LiveJob {
  RunParams params;
  LiveRun live;
  std::thread worker;
  std::atomic<bool> done{false};
  Run result;
  std::string error;
  size_t session_index = 0;
  size_t copied = 0;  // events already copied into the session run
  std::chrono::steady_clock::time_point last_view;
  std::chrono::steady_clock::duration view_every = std::chrono::milliseconds(250);
};

class App {
 public:
  explicit App(const GuiOptions& opt);
  ~App();
  int run();  // the frame loop; returns the exit code

  // The pieces of run(), also driven by the frame benchmark (ui/frame_bench.cpp).
  int open_window(bool vsync);  // 0, or 2 with a message when there is no window
  void close_window();
  void open_synthetic(size_t events);
  // One whole frame up to the swap: window events, model, panels, render.
  // `input` runs right before ImGui::NewFrame (to set mouse input).
  void render_frame(double dt, const std::function<void()>& input = {});
  void swap_buffers();
  void framebuffer_size(int* w, int* h) const;
  std::string renderer() const;  // GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"

  // Model-side actions the panels call.
  void start_live(const RunParams& p);
  void queue_all(const RunParams& like);
  void stop_live();
  bool live_busy() const { return job_ != nullptr; }
  bool open_recording(const std::string& path);
  void add_run(SessionRun r);
  SessionRun* current();
  size_t current_index() const { return current_; }
  void select(size_t i);
  const std::vector<std::unique_ptr<SessionRun>>& runs() const { return runs_; }
  const std::string& capture_problem() const { return capture_problem_; }
  const std::string& status() const { return status_; }
  void set_status(std::string s) { status_ = std::move(s); }
  bool screenshot_mode() const { return !opt_.screenshot.empty(); }
  const GuiOptions& options() const { return opt_; }

  UiPrefs prefs;
  ImFont* font_big = nullptr;
  bool cjk_missing = false;
  std::string recording_path;  // Open recording text field
  // Scenario panel edits these.
  RunParams edit;
  std::string edit_size = "32M", edit_buffer = "64K";
  int method_index = 0;
  // Where the data path drew its diagram (x, y, w, h), for the screenshot's sidecar file.
  float diagram_rect[4] = {0, 0, 0, 0};
  // Where the timeline drew its time axis and lanes (x, y, w, h), for the frame benchmark.
  float timeline_rect[4] = {0, 0, 0, 0};

 private:
  void poll_live();
  void finish_live();
  void start_next_queued();
  void advance_cursor(double dt);
  void draw_frame();
  void apply_fonts();
  void apply_theme();
  bool write_screenshot(const std::string& path, int w, int h);

  GuiOptions opt_;
  GLFWwindow* window_ = nullptr;
  std::vector<std::unique_ptr<SessionRun>> runs_;
  size_t current_ = 0;
  std::unique_ptr<LiveJob> job_;
  std::deque<RunParams> queue_;
  std::string capture_problem_;  // empty: live capture works
  std::string status_;
  std::string fonts_for_;        // lang + size the atlas was built for
  float pane_rects_[2][4] = {};  // scenario and panel panes (x, y, w, h), cleared as backgrounds
  struct PaneBox {
    int x, y, w, h;  // framebuffer pixels, rows counted from the top
  };
  std::vector<PaneBox> pane_boxes() const;  // the panes shown, left to right
  void clear_backgrounds(int w, int h);
};

// Panels, one file each.
void draw_scenario_panel(App& app);
void draw_datapath_panel(App& app);
void draw_plots_panel(App& app);
void draw_timeline_panel(App& app);
void draw_compare_panel(App& app);
void draw_export_panel(App& app);

// Colours the diagram, plots and tests agree on (RGB).
struct Rgb { unsigned char r, g, b; };
constexpr Rgb kCpuCopy{232, 80, 32};     // CPU copies: orange-red, drawn only when they happened
constexpr Rgb kDma{40, 120, 232};        // DMA: blue
constexpr Rgb kShare{140, 140, 140};     // page sharing / descriptors: grey, dashed
constexpr Rgb kSignal{200, 40, 120};     // a signal the kernel sends (SIGBUS)
constexpr Rgb kSwitch{214, 170, 0};      // user/kernel mode switches: amber
unsigned int col(Rgb c, int alpha = 255);
// An opaque rectangle drawn as a scissored clear, in draw order: large fills
// cost a software renderer (llvmpipe) far more as blended triangles. Colours
// that are not opaque fall back to AddRectFilled.
void fill_opaque_rect(ImDrawList* dl, ImVec2 a, ImVec2 b, unsigned int color);
// After EndChild() of a child begun with ImGuiWindowFlags_NoBackground (which
// also drops ImGui's own border): draws its border in the parent.
void end_child_border(float rounding);
bool light_theme(const App& app);

// True when DISPLAY or WAYLAND_DISPLAY is set and GLFW can start.
bool display_available();
int run_gui(const GuiOptions& opt);

}  // namespace copyscope::ui
