#include "ui/app.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "launch/cancel.h"
#include "launch/runner.h"
#include "model/size.h"
#include "ui/draw.h"
#include "ui/layout_check.h"
#ifdef COPYSCOPE_UI_EXPORT
#include "export/output_file.h"
#endif

namespace copyscope::ui {

namespace {

void glfw_error(int code, const char* what) { std::fprintf(stderr, "copyscope: glfw error %d: %s\n", code, what); }

// A call to the display server, tried again twice, 200 ms apart: under Xvfb
// one failed now and then between two clients that both opened windows.
// Only the last attempt reports its error (to `report`, when given).
template <typename F>
auto with_retries(GLFWerrorfun report, F call) -> decltype(call()) {
  for (int attempt = 0;; ++attempt) {
    glfwSetErrorCallback(attempt == 2 ? report : nullptr);
    auto result = call();
    if (result || attempt == 2) {
      glfwSetErrorCallback(report);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool init_glfw(GLFWerrorfun report) {
  return with_retries(report, [] { return glfwInit() == GLFW_TRUE; });
}

}  // namespace

bool display_available() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  if ((!x || !*x) && (!w || !*w)) return false;
  if (!init_glfw(nullptr)) return false;
  glfwTerminate();
  return true;
}

App::App(const GuiOptions& opt) : opt_(opt) {
  prefs.lang = opt.lang == "zh" ? "zh" : "en";
  prefs.classroom = opt.classroom;
  // Classroom fonts on a small projector (1280x720) leave the diagram too little
  // room beside the Scenario pane: start with it hidden (one click brings it back).
  prefs.sidebar = !(opt.classroom && opt.width < 1400);
  prefs.theme = !opt.theme.empty() ? opt.theme : (opt.classroom ? "light" : "dark");
  panel_from_id(opt.panel, &prefs.panel);
  edit.method = "read_write";
  edit.cache = opt.cache;
  edit_size = opt.size;
  edit_buffer = opt.buffer;
}

App::~App() { session.close(); }

// The Scenario panel shows the method of the run on screen, whoever chose it.
void App::follow_selection() {
  if (session.selections() == selections_seen_) return;
  selections_seen_ = session.selections();
  if (const SessionRun* r = session.current(); r && !r->run.params.method.empty()) edit.method = r->run.params.method;
}

void App::advance_cursor(double dt) {
  SessionRun* r = session.current();
  if (!r || !prefs.playing || !r->finished) return;
  const double span = static_cast<double>(r->view.t1 - r->view.t0);
  const double step = span * dt * static_cast<double>(prefs.speed) / kReplaySeconds;
  uint64_t next = r->cursor + static_cast<uint64_t>(std::max(1.0, step));
  if (next >= r->view.t1) {
    next = r->view.t1;
    prefs.playing = false;
  }
  r->cursor = next;
}

void App::draw_frame() {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(vp->Size);
  ImGui::Begin("copyscope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
  const float fs = ImGui::GetFontSize();
  draw_toolbar(*this);

  const float status_h = ImGui::GetFrameHeightWithSpacing();
  const float body_h = ImGui::GetContentRegionAvail().y - status_h;
  const float left_w = std::clamp(ImGui::GetContentRegionAvail().x * 0.24f, fs * 11.0f, fs * 22.0f);
  // The two panes' backgrounds are cleared by render_frame, not drawn: a
  // software renderer (llvmpipe) pays for every pixel of blended fill, and
  // these cover most of the window.
  auto pane_rect = [](float* out) {
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    out[0] = pos.x, out[1] = pos.y, out[2] = size.x, out[3] = size.y;
  };
  if (prefs.sidebar) {
    ImGui::BeginChild("scenario", ImVec2(left_w, body_h), true, ImGuiWindowFlags_NoBackground);
    pane_rect(pane_rects_[0]);
    draw_scenario_panel(*this);
    ImGui::EndChild();
    end_child_border(0);  // square: its background is a cleared rectangle
    ImGui::SameLine();
  } else {
    std::fill(std::begin(pane_rects_[0]), std::end(pane_rects_[0]), 0.0f);
  }
  ImGui::BeginChild("panel", ImVec2(0, body_h), true, ImGuiWindowFlags_NoBackground);
  pane_rect(pane_rects_[1]);
  switch (prefs.panel) {
    case Panel::DataPath:
      draw_datapath_panel(*this);
      break;
    case Panel::Plots:
      draw_plots_panel(*this);
      break;
    case Panel::Timeline:
      draw_timeline_panel(*this);
      break;
    case Panel::Compare:
      draw_compare_panel(*this);
      break;
    case Panel::Export:
      draw_export_panel(*this);
      break;
  }
  ImGui::EndChild();
  end_child_border(0);
  // One line: a long status (a recording's path) ends in "..." rather than run off the window.
  std::string status = session.status().in(prefs.lang);
  const float room = ImGui::GetContentRegionAvail().x;
  if (ImGui::CalcTextSize(status.c_str()).x > room) {
    while (!status.empty() && ImGui::CalcTextSize((status + "...").c_str()).x > room) {
      status.pop_back();
      while (!status.empty() && (static_cast<unsigned char>(status.back()) & 0xC0) == 0x80) status.pop_back();
      if (!status.empty() && (static_cast<unsigned char>(status.back()) & 0xC0) == 0xC0) status.pop_back();
    }
    status += "...";
  }
  ImGui::TextDisabled("%s", status.c_str());
  ImGui::End();
}

int App::open_window(bool vsync) {
  if (!init_glfw(glfw_error)) {
    std::fprintf(stderr, "copyscope: cannot open a window (no display?): use 'copyscope run' or 'compare' instead\n");
    return 2;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // ImGui draws in painter's order: no depth or stencil test, so no buffers
  // for them (less work per frame for a software renderer).
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);
  if (screenshot_mode() || !vsync) glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);
  window_ = with_retries(glfw_error,
                         [this] { return glfwCreateWindow(opt_.width, opt_.height, "copyscope", nullptr, nullptr); });
  if (!window_) {
    glfwTerminate();
    std::fprintf(stderr, "copyscope: cannot create an OpenGL 3 window\n");
    return 2;
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(vsync ? 1 : 0);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 130");
  return 0;
}

void App::close_window() {
  if (!window_) return;
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
  window_ = nullptr;
}

// Backgrounds as clears, not drawn: the window's colour and the panes'.
// A whole-framebuffer clear is llvmpipe's fast path; a scissored one costs by
// the pixel. So the larger colour, the panes', clears everything, and the
// window's colour is cleared back on the strips around the panes.
std::vector<App::PaneBox> App::pane_boxes() const {
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  std::vector<PaneBox> panes;
  for (const float* r : pane_rects_) {
    const PaneBox b{static_cast<int>(r[0] * scale.x), static_cast<int>(r[1] * scale.y),
                    static_cast<int>(r[2] * scale.x), static_cast<int>(r[3] * scale.y)};
    if (b.w > 0 && b.h > 0) panes.push_back(b);
  }
  std::sort(panes.begin(), panes.end(), [](const PaneBox& a, const PaneBox& b) { return a.x < b.x; });
  return panes;
}

void App::clear_backgrounds(int w, int h) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec4 bg = style.Colors[ImGuiCol_WindowBg], pane = style.Colors[ImGuiCol_ChildBg];
  using Box = PaneBox;
  const std::vector<Box> panes = pane_boxes();
  // The strips are exact only for panes side by side in one row, as laid out
  // by draw_frame; any other layout clears the panes one by one.
  bool one_row = !panes.empty();
  for (size_t i = 0; i < panes.size(); ++i)
    one_row = one_row && panes[i].y == panes[0].y && panes[i].h == panes[0].h &&
              (i == 0 || panes[i].x >= panes[i - 1].x + panes[i - 1].w);
  auto clear_box = [h](const Box& b) {
    if (b.w <= 0 || b.h <= 0) return;
    glScissor(b.x, h - b.y - b.h, b.w, b.h);  // GL counts rows from the bottom
    glClear(GL_COLOR_BUFFER_BIT);
  };
  const ImVec4 first = one_row ? pane : bg;
  glClearColor(first.x, first.y, first.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  glEnable(GL_SCISSOR_TEST);
  if (one_row) {
    glClearColor(bg.x, bg.y, bg.z, 1);
    const int top = panes[0].y, bottom = panes[0].y + panes[0].h;
    clear_box({0, 0, w, top});
    clear_box({0, bottom, w, h - bottom});
    int x = 0;
    for (const Box& p : panes) {
      clear_box({x, top, p.x - x, bottom - top});
      x = p.x + p.w;
    }
    clear_box({x, top, w - x, bottom - top});
  } else {
    glClearColor(pane.x, pane.y, pane.z, 1);
    for (const Box& p : panes) clear_box(p);
  }
  glDisable(GL_SCISSOR_TEST);
}

void App::render_frame(double dt, const std::function<void()>& input) {
  glfwPollEvents();
  apply_fonts();
  apply_theme();
  session.poll(prefs.follow_live);
  follow_selection();
  advance_cursor(dt);

  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  if (input) input();
  ImGui::NewFrame();
  draw_frame();
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  clear_backgrounds(w, h);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void App::swap_buffers() { glfwSwapBuffers(window_); }

void App::framebuffer_size(int* w, int* h) const { glfwGetFramebufferSize(window_, w, h); }

std::string App::renderer() const {
  const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  return r ? r : "";
}

bool App::write_screenshot(const std::string& path, int w, int h) {
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  // OpenGL's rows start at the bottom.
  std::vector<unsigned char> flipped(px.size());
  const size_t row = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y)
    std::copy_n(px.data() + static_cast<size_t>(h - 1 - y) * row, row, flipped.data() + static_cast<size_t>(y) * row);
  return stbi_write_png(path.c_str(), w, h, 3, flipped.data(), static_cast<int>(row)) != 0;
}

void App::request_diagram_png(const std::string& path) {
  diagram_png_ = path;
  diagram_png_frames_ = 0;
  diagram_png_back_ = prefs.panel;
  prefs.panel = Panel::DataPath;
}

void App::diagram_png_step(int w, int h) {
  if (diagram_png_.empty()) return;
  if (++diagram_png_frames_ < 2) return;  // the data path has been laid out once, now drawn
  const ImVec2 k = ImGui::GetIO().DisplayFramebufferScale;
  const int x0 = std::clamp(static_cast<int>(diagram_rect[0] * k.x), 0, w);
  const int y0 = std::clamp(static_cast<int>(diagram_rect[1] * k.y), 0, h);
  const int x1 = std::clamp(static_cast<int>((diagram_rect[0] + diagram_rect[2]) * k.x), 0, w);
  const int y1 = std::clamp(static_cast<int>((diagram_rect[1] + diagram_rect[3]) * k.y), 0, h);
  const int cw = x1 - x0, ch = y1 - y0;
  const std::string path = diagram_png_;
  diagram_png_.clear();
  prefs.panel = diagram_png_back_;
  if (cw <= 0 || ch <= 0) {
    session.set_status(say("no diagram to save: open a run first"));
    return;
  }
  std::vector<unsigned char> px(static_cast<size_t>(cw) * ch * 3), rows(px.size());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(x0, h - y1, cw, ch, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  const size_t row = static_cast<size_t>(cw) * 3;
  for (int y = 0; y < ch; ++y)
    std::copy_n(px.data() + static_cast<size_t>(ch - 1 - y) * row, row, rows.data() + static_cast<size_t>(y) * row);
  std::string png;
  const auto append = [](void* to, void* data, int size) {
    static_cast<std::string*>(to)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, cw, ch, 3, rows.data(), static_cast<int>(row))) {
    session.set_status(say("could not encode %s", path));
    return;
  }
#ifdef COPYSCOPE_UI_EXPORT
  // Through an OutputFile, as every export: no partial file, no symlink followed.
  try {
    write_output(path, png, "diagram");
    session.set_status(say("wrote %s", path));
  } catch (const std::exception& e) {
    session.set_status(same(e.what()));
  }
#else
  session.set_status(say("cannot save %s: this build has no exports", path));
#endif
}

namespace {
std::string as_json(const std::vector<std::string>& lines) {
  return nlohmann::json(lines).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

// Where things are, for tests that check the picture (pixels, not pixels scaled),
// and what did not fit (check_layout).
void App::write_regions(const std::string& path, int w, int h) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return;
  const SessionRun* cur = session.current();
  std::string panes;  // as clear_backgrounds() clears them
  for (const PaneBox& b : pane_boxes()) {
    char one[96];
    std::snprintf(one, sizeof one, "%s[%d, %d, %d, %d]", panes.empty() ? "" : ", ", b.x, b.y, b.w, b.h);
    panes += one;
  }
  const LayoutCheck fit = check_layout();
  std::fprintf(f,
               "{\"panel\": \"%s\", \"method\": \"%s\", \"width\": %d, \"height\": %d, "
               "\"font_px\": %.1f, \"diagram\": [%.0f, %.0f, %.0f, %.0f], \"panes\": [%s], "
               "\"clipped\": %s, \"scrolls\": %s}\n",
               panel_id(prefs.panel), cur ? cur->run.params.method.c_str() : "", w, h, ImGui::GetFontSize(),
               diagram_rect[0], diagram_rect[1], diagram_rect[2], diagram_rect[3], panes.c_str(),
               as_json(fit.clipped).c_str(), as_json(fit.scrolls).c_str());
  std::fclose(f);
}

int App::queue_requested_runs() {
  const bool in_vm = !opt_.vm.name.empty();
  edit_vm = opt_.vm;
  if (in_vm && !session.vm_problem().empty()) {
    std::fprintf(stderr, "copyscope: cannot run %s in the lab VM: %s\n", opt_.run_method.c_str(),
                 session.vm_problem().c_str());
    if (screenshot_mode()) return 2;
  } else if (!in_vm && !session.capture_problem().empty()) {
    std::fprintf(stderr, "copyscope: cannot run %s live: %s\n", opt_.run_method.c_str(),
                 session.capture_problem().c_str());
    if (screenshot_mode()) return 2;
  }
  RunParams p;
  p.method = opt_.run_method.substr(0, opt_.run_method.find(','));
  std::string err;
  p.size = parse_size(opt_.size, &err).value_or(32 << 20);
  p.buffer = parse_size(opt_.buffer, &err).value_or(64 << 10);
  p.cache = opt_.cache;
  p.sink = opt_.sink;
  try {
    validate(p);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return 2;
  }
  edit = p;
  // --run a,b,c runs them one after the other (the Compare panel shows all).
  std::vector<RunParams> plans;
  const std::string& list = opt_.run_method;
  for (size_t pos = 0; pos != std::string::npos;) {
    const size_t comma = list.find(',', pos);
    RunParams q = p;
    q.method = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (q.method != p.method) q.sink = opt_.sink;
    try {
      validate(q);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "copyscope: %s\n", e.what());
      return 2;
    }
    plans.push_back(q);
    pos = comma == std::string::npos ? comma : comma + 1;
  }
  if (in_vm)
    session.start_vm(plans, opt_.vm);
  else
    for (const RunParams& q : plans) session.queue(q);
  return 0;
}

int App::run() {
  if (int rc = open_window(true)) return rc;

  // A trace that cannot be opened is reported in the window's status line,
  // which stays up (a screenshot shows it too); stderr gets the same line.
  for (const std::string& path : opt_.replay)
    if (!session.open_recording(path)) std::fprintf(stderr, "copyscope: %s\n", session.status().en.c_str());
  if (opt_.synthetic) session.open_synthetic(opt_.synthetic);
  if (opt_.at >= 0)
    for (auto& r : session.runs())
      r->cursor = r->view.t0 + static_cast<uint64_t>(opt_.at * static_cast<double>(r->view.t1 - r->view.t0));
  if (!opt_.run_method.empty())
    if (int rc = queue_requested_runs()) {
      close_window();
      return rc;
    }

  int exit_code = 0;
  int frames_ready = 0;
  double frame_ms_sum = 0, frame_ms_max = 0;
  auto last = std::chrono::steady_clock::now();
  // A signal ends the loop; the session has cancelled its live run by then.
  while (!glfwWindowShouldClose(window_) && !interrupt::requested()) {
    auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    render_frame(dt);
    int w = 0, h = 0;
    framebuffer_size(&w, &h);
    diagram_png_step(w, h);

    if (screenshot_mode()) {
      const bool settled = session.settled();
      if (settled) {
        glFinish();  // charge the GPU's work to this frame
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - now).count();
        frame_ms_sum += ms;
        frame_ms_max = std::max(frame_ms_max, ms);
      }
      if (settled && !opt_.save_diagram.empty() && !diagram_png_asked_) {
        request_diagram_png(opt_.save_diagram);
        diagram_png_asked_ = true;
      }
      if (settled && diagram_png_.empty() && ++frames_ready >= std::max(2, opt_.frames)) {
        if (SessionRun* r = session.current(); r && r->failed) {
          std::fprintf(stderr, "copyscope: the run failed: %s\n", r->error.c_str());
          exit_code = 1;
        }
        std::fprintf(stderr, "copyscope: %d frames, mean %.2f ms, max %.2f ms per frame\n", frames_ready,
                     frame_ms_sum / frames_ready, frame_ms_max);
        if (!write_screenshot(opt_.screenshot, w, h)) {
          std::fprintf(stderr, "copyscope: could not write %s\n", opt_.screenshot.c_str());
          exit_code = 1;
        } else if (opt_.regions) {
          write_regions(opt_.screenshot + ".json", w, h);
        }
        break;
      }
    }
    swap_buffers();
    // Without vsync (e.g. under Xvfb) do not spin a core.
    const auto spent = std::chrono::steady_clock::now() - now;
    if (spent < std::chrono::milliseconds(16)) std::this_thread::sleep_for(std::chrono::milliseconds(16) - spent);
  }
  session.close();  // cancels a live run, waits for its worker: its tree reaped, its temp dir gone
  if (interrupt::requested()) {
    std::fprintf(stderr, "copyscope: interrupted: the window was closed and any run stopped and cleaned up\n");
    exit_code = 130;
  }
  close_window();
  return exit_code;
}

int run_gui(const GuiOptions& opt) {
  App app(opt);
  return app.run();
}

}  // namespace copyscope::ui
