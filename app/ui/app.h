// The window: GLFW, OpenGL and Dear ImGui around a Session. Owns the frame
// loop, fonts, theme and screenshots; panels are free functions, one file
// each, handed the App every frame.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/run.h"
#include "ui/session.h"
#include "ui/ui_state.h"

struct GLFWwindow;
struct ImFont;

namespace copyscope::ui {

struct GuiOptions {
  std::vector<std::string> replay;  // recordings to open (several: Compare shows them side by side)
  std::string run_method;           // start a live run of this method at once
  std::string size = "32M", buffer = "64K", cache = "cold", sink;
  LabVm vm;              // --run in the lab VM when vm.name is set
  size_t synthetic = 0;  // open a synthetic run of about this many events
  std::string panel = "datapath";
  std::string screenshot;  // write a PNG after `frames` frames (and any live run) and exit
  std::string save_diagram;  // with --screenshot: first save the data-path diagram as this PNG (Export's button)
  int frames = 10;
  double at = -1;                  // open recordings with the replay cursor at this fraction (0..1)
  bool regions = false;            // also write FILE.png.json: where the panels drew (for tests)
  std::string lang = "en", theme;  // theme: default dark, light in classroom mode
  bool classroom = false;
  int width = 1600, height = 900;
};

class App {
 public:
  explicit App(const GuiOptions& opt);
  ~App();
  int run();  // the frame loop; returns the exit code

  // The pieces of run(), also driven by the frame benchmark (ui/frame_bench.cpp).
  int open_window(bool vsync);  // 0, or 2 with a message when there is no window
  void close_window();
  // One whole frame up to the swap: window events, session, panels, render.
  // `input` runs right before ImGui::NewFrame (to set mouse input).
  void render_frame(double dt, const std::function<void()>& input = {});
  void swap_buffers();
  void framebuffer_size(int* w, int* h) const;
  std::string renderer() const;  // GL_RENDERER

  bool screenshot_mode() const { return !opt_.screenshot.empty(); }
  const GuiOptions& options() const { return opt_; }

  Session session;  // the runs; the panels read it and call its actions
  UiPrefs prefs;
  ImFont* font_big = nullptr;
  bool cjk_missing = false;
  std::string recording_path;  // Open recording text field
  // Scenario panel edits these.
  RunParams edit;
  std::string edit_size = "32M", edit_buffer = "64K";
  LabVm edit_vm;  // name empty: this machine
  // The Trace a program form (ui/trace_panel.cpp).
  std::string trace_command, trace_pid;
  float trace_seconds = 0;  // 0: until it exits or Stop
  int method_index = 0;
  // Compare: the runs (session indices) whose diagrams stand side by side, at most three;
  // empty until the user picks (then the first runs of different methods are shown).
  std::vector<size_t> side_by_side;
  bool side_by_side_picked = false;
  bool compare_bars = false;  // the bars instead of the diagrams
  // Where the data path drew its diagram (x, y, w, h), for the screenshot's sidecar file.
  float diagram_rect[4] = {0, 0, 0, 0};
  // Where the timeline drew its time axis and lanes (x, y, w, h), for the frame benchmark.
  float timeline_rect[4] = {0, 0, 0, 0};
  // Export: the data-path diagram as a PNG of what the window draws. The next
  // frame shows the data path, the one after writes its pixels and comes back.
  void request_diagram_png(const std::string& path);

 private:
  void diagram_png_step(int w, int h);  // after each frame: the request above
  std::string diagram_png_;
  int diagram_png_frames_ = 0;
  bool diagram_png_asked_ = false;  // --save-diagram done
  Panel diagram_png_back_ = Panel::Export;
  int queue_requested_runs();  // --run METHOD[,METHOD...]: 0, or 2 after a message
  void follow_selection();
  void advance_cursor(double dt);
  void draw_frame();
  void apply_fonts();
  void apply_theme();
  bool write_screenshot(const std::string& path, int w, int h);
  void write_regions(const std::string& path, int w, int h);

  GuiOptions opt_;
  GLFWwindow* window_ = nullptr;
  uint64_t selections_seen_ = 0;
  std::string fonts_for_;        // lang + size the atlas was built for
  float content_scale_ = 1.0f;   // the monitor's DPI / 96, from GLFW
  float pane_rects_[2][4] = {};  // scenario and panel panes (x, y, w, h), cleared as backgrounds
  struct PaneBox {
    int x, y, w, h;  // framebuffer pixels, rows counted from the top
  };
  std::vector<PaneBox> pane_boxes() const;  // the panes shown, left to right
  void clear_backgrounds(int w, int h);
};

// What the window draws, one file each: the top bar, then the two panes.
void draw_toolbar(App& app);  // panels, playback, language and theme, the replay cursor
void draw_scenario_panel(App& app);
void draw_datapath_panel(App& app);
void draw_plots_panel(App& app);
void draw_timeline_panel(App& app);
void draw_compare_panel(App& app);
void draw_export_panel(App& app);
// Trace a program (ui/trace_panel.cpp): the form beside the scenarios, and a
// traced run's flows where the data path would be (true when it drew them).
void draw_trace_form(App& app);
bool draw_trace_flows(App& app);

bool light_theme(const App& app);

// True when DISPLAY or WAYLAND_DISPLAY is set and GLFW can start.
bool display_available();
int run_gui(const GuiOptions& opt);

}  // namespace copyscope::ui
