#include "ui/app.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "model/size.h"
#include "model/synthetic.h"
#include "scenario/runner.h"
#include "trace/environment.h"
#if defined(COPYSCOPE_UI_EXPORT)
#include "export/trace.h"
#define COPYSCOPE_HAVE_TRACE_LOADER 1
#endif

namespace copyscope::ui {

namespace {

constexpr const char* kLatinFonts[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
};
// Noto Sans CJK ships several languages in one collection: face 2 is Simplified Chinese.
struct CjkFont {
  const char* path;
  int face;
};
constexpr CjkFont kCjkFonts[] = {
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
    {"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2},
    {"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0},
    {"/usr/share/fonts/truetype/arphic/uming.ttc", 0},
};

const char* first_existing(const char* const* paths, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (std::filesystem::exists(paths[i])) return paths[i];
  return nullptr;
}

void glfw_error(int code, const char* what) { std::fprintf(stderr, "copyscope: glfw error %d: %s\n", code, what); }

// A call to the display server, tried again twice, 200 ms apart: under Xvfb
// one failed once in a run of the whole suite, between two clients that both
// opened windows (whether glfwInit or glfwCreateWindow was not seen). Only
// the last attempt reports its error (to `report`, when given).
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

bool init_glfw(GLFWerrorfun report) { return with_retries(report, [] { return glfwInit() == GLFW_TRUE; }); }

}  // namespace

const char* panel_id(Panel p) {
  switch (p) {
    case Panel::DataPath: return "datapath";
    case Panel::Plots: return "plots";
    case Panel::Timeline: return "timeline";
    case Panel::Compare: return "compare";
    case Panel::Export: return "export";
  }
  return "datapath";
}

bool panel_from_id(const std::string& id, Panel* out) {
  for (Panel p : {Panel::DataPath, Panel::Plots, Panel::Timeline, Panel::Compare, Panel::Export})
    if (id == panel_id(p)) {
      *out = p;
      return true;
    }
  return false;
}

const char* L(const UiPrefs& p, const char* en, const char* zh) { return p.lang == "zh" ? zh : en; }

unsigned int col(Rgb c, int alpha) { return IM_COL32(c.r, c.g, c.b, alpha); }

bool light_theme(const App& app) { return app.prefs.theme == "light"; }

namespace {

struct OpaqueRect {
  ImVec2 a, b;
  ImVec4 color;
};

// Runs inside ImGui_ImplOpenGL3_RenderDrawData, in draw order: the backend has
// the scissor test on and sets its own scissor again for the next command.
void clear_rect_callback(const ImDrawList*, const ImDrawCmd* cmd) {
  const auto* q = static_cast<const OpaqueRect*>(cmd->UserCallbackData);
  const ImDrawData* dd = ImGui::GetDrawData();
  const ImVec2 off = dd->DisplayPos, scale = dd->FramebufferScale;
  auto px = [](float v) { return static_cast<int>(std::lround(v)); };
  const int x0 = px((std::max(q->a.x, cmd->ClipRect.x) - off.x) * scale.x);
  const int y0 = px((std::max(q->a.y, cmd->ClipRect.y) - off.y) * scale.y);
  const int x1 = px((std::min(q->b.x, cmd->ClipRect.z) - off.x) * scale.x);
  const int y1 = px((std::min(q->b.y, cmd->ClipRect.w) - off.y) * scale.y);
  if (x1 <= x0 || y1 <= y0) return;
  const int fb_h = px(dd->DisplaySize.y * scale.y);
  glScissor(x0, fb_h - y1, x1 - x0, y1 - y0);
  glClearColor(q->color.x, q->color.y, q->color.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
}

}  // namespace

void fill_opaque_rect(ImDrawList* dl, ImVec2 a, ImVec2 b, unsigned int color) {
  if ((color >> IM_COL32_A_SHIFT & 0xff) != 0xff) {
    dl->AddRectFilled(a, b, color);
    return;
  }
  // Kept until the frame after the one that draws them.
  static std::deque<OpaqueRect> pool;
  static int frame = -1;
  if (frame != ImGui::GetFrameCount()) {
    pool.clear();
    frame = ImGui::GetFrameCount();
  }
  pool.push_back({a, b, ImGui::ColorConvertU32ToFloat4(color)});
  dl->AddCallback(clear_rect_callback, &pool.back());
}

void end_child_border(float rounding) {
  ImGui::GetWindowDrawList()->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(),
                                      ImGui::GetColorU32(ImGuiCol_Border), rounding, 0,
                                      std::max(1.0f, ImGui::GetStyle().ChildBorderSize));
}

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
  CaptureCheck check = check_live_capture();
  if (!check.ok) capture_problem_ = check.reason + ". " + check.fix;
  edit.method = "read_write";
  edit.cache = opt.cache;
  edit_size = opt.size;
  edit_buffer = opt.buffer;
}

App::~App() {
  if (job_) {
    g_cancel.store(true);
    if (job_->worker.joinable()) job_->worker.join();
    g_cancel.store(false);
  }
}

SessionRun* App::current() { return current_ < runs_.size() ? runs_[current_].get() : nullptr; }

void App::add_run(SessionRun r) {
  runs_.push_back(std::make_unique<SessionRun>(std::move(r)));
  select(runs_.size() - 1);
}

void App::select(size_t i) {
  if (i >= runs_.size()) return;
  current_ = i;
  // The Scenario panel shows the method of the run on screen.
  if (!runs_[i]->run.params.method.empty()) edit.method = runs_[i]->run.params.method;
}

bool App::open_recording(const std::string& path) {
#ifdef COPYSCOPE_HAVE_TRACE_LOADER
  try {
    SessionRun r;
    r.run = load_trace(path);
    r.origin = "recording";
    r.label = r.run.params.method + " (" + std::filesystem::path(path).filename().string() + ")";
    r.finished = true;
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    sort_events(r.run.events);
    r.summary = summarize(r.run, tb);
    r.view = build_view(r.run, r.summary, tb, true);
    r.cursor = r.view.t1;
    add_run(std::move(r));
    status_ = "opened " + path;
    return true;
  } catch (const std::exception& e) {
    status_ = std::string("could not open ") + path + ": " + e.what();
    return false;
  }
#else
  status_ = "cannot open " + path + ": this build has no trace loader (app/export/trace.h)";
  return false;
#endif
}

void App::start_live(const RunParams& p) {
  if (job_ || !capture_problem_.empty()) return;
  auto job = std::make_unique<LiveJob>();
  job->params = p;
  SessionRun r;
  r.origin = "live";
  r.run.params = p;
  r.label = p.method + " " + format_size(p.size) + " " + (p.sink.empty() ? "" : p.sink + " ") + p.cache;
  r.view = build_view(r.run, r.summary, Textbook::builtin().find(p.method), false);
  add_run(std::move(r));
  job->session_index = runs_.size() - 1;
  job->last_view = std::chrono::steady_clock::now();
  LiveJob* raw = job.get();
  job->worker = std::thread([raw] {
    try {
      RunRequest req;
      req.params = raw->params;
      raw->result = run_scenario(req, &raw->live);
    } catch (const std::exception& e) {
      raw->error = e.what();
    }
    raw->done.store(true);
  });
  job_ = std::move(job);
  prefs.follow_live = true;
  status_ = "running " + p.method + "...";
}

void App::queue_all(const RunParams& like) {
  for (const auto& m : Textbook::builtin().methods()) {
    RunParams p = like;
    p.method = m.name;
    p.sink.clear();
    try {
      validate(p);
    } catch (const std::exception&) {
      continue;  // not runnable here (yet)
    }
    queue_.push_back(p);
  }
  start_next_queued();
}

void App::start_next_queued() {
  if (job_ || queue_.empty()) return;
  RunParams p = queue_.front();
  queue_.pop_front();
  start_live(p);
}

void App::stop_live() {
  queue_.clear();
  if (job_) g_cancel.store(true);
}

void App::poll_live() {
  if (!job_) {
    start_next_queued();
    return;
  }
  SessionRun& r = *runs_[job_->session_index];
  // The model's lock, once per frame: copy what is new.
  job_->live.with_run([&](Run& lr) {
    if (job_->copied < lr.events.size()) {
      r.run.events.insert(r.run.events.end(), lr.events.begin() + static_cast<long>(job_->copied), lr.events.end());
      job_->copied = lr.events.size();
    }
  });
  auto now = std::chrono::steady_clock::now();
  if (now - job_->last_view > job_->view_every) {
    sort_events(r.run.events);
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    r.summary = summarize_live(r.run, tb);
    r.view = build_view(r.run, r.summary, tb, false);
    if (prefs.follow_live) r.cursor = r.run.events.empty() ? r.view.t0 : r.run.events.back().ts;
    // Rebuilding grows with the events: keep it under a fifth of the time so
    // the window stays responsive however large the run gets.
    const auto done = std::chrono::steady_clock::now();
    job_->view_every = std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(250), (done - now) * 5);
    job_->last_view = done;
  }
  if (job_->done.load()) finish_live();
}

void App::finish_live() {
  job_->worker.join();
  SessionRun& r = *runs_[job_->session_index];
  const TextbookMethod* tb = Textbook::builtin().find(job_->params.method);
  if (!job_->error.empty()) {
    r.failed = true;
    r.error = job_->error;
    status_ = job_->params.method + ": " + job_->error;
    queue_.clear();
  } else {
    r.run = std::move(job_->result);
    r.summary = summarize(r.run, tb);
    status_ = job_->params.method + " finished: " + format_size(r.summary.bytes) + " in " +
              format_ns(static_cast<double>(r.summary.duration_ns));
  }
  r.finished = true;
  sort_events(r.run.events);
  r.view = build_view(r.run, r.summary, tb, true);
  r.cursor = r.view.t1;
  g_cancel.store(false);
  job_.reset();
  start_next_queued();
}

void App::advance_cursor(double dt) {
  SessionRun* r = current();
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

void App::apply_theme() {
  ImGuiStyle& s = ImGui::GetStyle();
  if (prefs.theme == "light") {
    ImGui::StyleColorsLight();
    s.Colors[ImGuiCol_WindowBg] = ImVec4(0.98f, 0.98f, 0.97f, 1);
    s.Colors[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
    s.Colors[ImGuiCol_Text] = ImVec4(0.05f, 0.05f, 0.08f, 1);
    // ImGui's light frames are white on a near-white window: an unticked
    // checkbox or a combo box would be invisible on a projector.
    s.Colors[ImGuiCol_FrameBg] = ImVec4(0.87f, 0.89f, 0.93f, 1);
    s.Colors[ImGuiCol_FrameBgHovered] = ImVec4(0.80f, 0.85f, 0.94f, 1);
  } else {
    ImGui::StyleColorsDark();
    s.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.11f, 0.13f, 1);
    s.Colors[ImGuiCol_ChildBg] = ImVec4(0.13f, 0.14f, 0.17f, 1);
  }
  s.WindowRounding = 0;
  s.ChildRounding = 4;
  s.FrameRounding = 4;
  s.ItemSpacing = ImVec2(8, 6);
  s.FramePadding = ImVec2(8, 4);
}

void App::apply_fonts() {
  const float px = prefs.classroom ? 26.0f : 18.0f;
  const std::string want = prefs.lang + std::to_string(px);
  if (want == fonts_for_) return;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  static const ImWchar kLatin[] = {0x0020, 0x00FF, 0x2010, 0x2027, 0x2190, 0x21FF, 0x2212, 0x2212, 0x2248, 0x2265,
                                   0x25A0, 0x25FF, 0x2713, 0x2718, 0};
  static ImVector<ImWchar> cjk_ranges;
  if (cjk_ranges.empty()) {
    ImFontGlyphRangesBuilder b;
    b.AddRanges(io.Fonts->GetGlyphRangesChineseSimplifiedCommon());
    b.AddText("（）：，。、；“”《》！？·—");
    for (const auto& m : Textbook::builtin().methods()) {
      b.AddText(m.title.zh.c_str());
      b.AddText(m.summary.zh.c_str());
      for (const auto& x : m.boxes) b.AddText(x.label.zh.c_str());
      for (const auto& x : m.arrows) b.AddText(x.label.zh.c_str());
      for (const auto& x : m.steps) b.AddText(x.text.zh.c_str());
      for (const auto& x : m.teaching_points) b.AddText(x.zh.c_str());
    }
    b.BuildRanges(&cjk_ranges);
  }
  const char* latin = first_existing(kLatinFonts, std::size(kLatinFonts));
  const CjkFont* cjk = nullptr;
  if (prefs.lang == "zh")
    for (const auto& c : kCjkFonts)
      if (std::filesystem::exists(c.path)) {
        cjk = &c;
        break;
      }
  cjk_missing = prefs.lang == "zh" && !cjk;
  auto add = [&](float size) -> ImFont* {
    ImFont* f = nullptr;
    if (latin) {
      ImFontConfig cfg;
      cfg.OversampleH = 2;
      f = io.Fonts->AddFontFromFileTTF(latin, size, &cfg, kLatin);
    }
    if (!f) {
      ImFontConfig cfg;
      cfg.SizePixels = size;
      f = io.Fonts->AddFontDefault(&cfg);
    }
    if (cjk) {
      ImFontConfig cfg;
      cfg.MergeMode = true;
      cfg.FontNo = cjk->face;
      cfg.OversampleH = 1;
      cfg.PixelSnapH = true;
      // Noto CJK draws smaller than DejaVu at the same pixel size: match their heights.
      cfg.GlyphOffset.y = size * 0.04f;
      io.Fonts->AddFontFromFileTTF(cjk->path, size * 1.12f, &cfg, cjk_ranges.Data);
    }
    return f;
  };
  add(px);
  font_big = add(px * 1.35f);
  io.Fonts->Build();
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  fonts_for_ = want;
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

void App::draw_frame() {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(vp->Size);
  ImGui::Begin("copyscope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
  const float fs = ImGui::GetFontSize();

  // Top bar: panels on the left, classroom controls on the right.
  struct Tab {
    Panel p;
    const char* en;
    const char* zh;
  };
  const Tab tabs[] = {{Panel::DataPath, "Data path", "数据路径"},
                      {Panel::Plots, "Live plots", "实时曲线"},
                      {Panel::Timeline, "Timeline", "时间线"},
                      {Panel::Compare, "Compare", "对比"},
                      {Panel::Export, "Export", "导出"}};
  for (const Tab& t : tabs) {
    const bool on = prefs.panel == t.p;
    if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(L(prefs, t.en, t.zh))) prefs.panel = t.p;
    if (on) ImGui::PopStyleColor();
    ImGui::SameLine();
  }
  // Classroom controls on the same row when they fit, else on the next one.
  const float controls_w = fs * 30.0f;
  if (ImGui::GetContentRegionAvail().x < controls_w) ImGui::NewLine();
  SessionRun* r = current();
  const bool can_play = r && r->finished && r->view.event_count > 0;
  ImGui::BeginDisabled(!can_play);
  if (ImGui::Button(prefs.playing ? L(prefs, "Pause", "暂停") : L(prefs, "Play", "播放"))) {
    if (!prefs.playing && r && r->cursor >= r->view.t1) r->cursor = r->view.t0;
    prefs.playing = !prefs.playing;
  }
  ImGui::SameLine();
  if (ImGui::Button(L(prefs, "Step", "下一步")) && r) {
    prefs.playing = false;
    if (r->cursor >= r->view.t1) r->cursor = r->view.t0;
    r->cursor = r->view.next_step_time(r->cursor);
  }
  ImGui::SameLine();
  if (ImGui::Button(L(prefs, "Restart", "重来")) && r) r->cursor = r->view.t0;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 6);
  ImGui::SliderFloat("##speed", &prefs.speed, 0.1f, 1.0f, L(prefs, "speed %.1fx", "速度 %.1fx"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 5.5f);
  const char* langs[] = {"English", "简体中文"};
  int li = prefs.lang == "zh" ? 1 : 0;
  if (ImGui::Combo("##lang", &li, langs, 2)) prefs.lang = li ? "zh" : "en";
  ImGui::SameLine();
  bool light = prefs.theme == "light";
  if (ImGui::Checkbox(L(prefs, "Light", "浅色"), &light)) prefs.theme = light ? "light" : "dark";
  ImGui::SameLine();
  if (ImGui::Checkbox(L(prefs, "Classroom", "课堂模式"), &prefs.classroom)) prefs.theme = prefs.classroom ? "light" : "dark";
  ImGui::SameLine();
  ImGui::Checkbox(L(prefs, "Scenario pane", "场景栏"), &prefs.sidebar);
  if (cjk_missing)
    ImGui::TextColored(ImVec4(0.9f, 0.3f, 0.2f, 1),
                       "No Chinese font found (install fonts-noto-cjk); showing English where glyphs are missing.");

  // Replay cursor: where the animation is, in the run's own time.
  if (r && r->view.t1 > r->view.t0) {
    const double span = static_cast<double>(r->view.t1 - r->view.t0);
    float pos = static_cast<float>(static_cast<double>(r->cursor - std::min(r->cursor, r->view.t0)) / span);
    ImGui::SetNextItemWidth(-1);
    char label[96];
    std::snprintf(label, sizeof label, "%s / %s", format_ns(pos * span).c_str(), format_ns(span).c_str());
    ImGui::BeginDisabled(!r->finished);
    if (ImGui::SliderFloat("##cursor", &pos, 0.0f, 1.0f, label)) {
      r->cursor = r->view.t0 + static_cast<uint64_t>(pos * span);
      prefs.playing = false;
    }
    ImGui::EndDisabled();
  }

  const float status_h = ImGui::GetFrameHeightWithSpacing();
  const float body_h = ImGui::GetContentRegionAvail().y - status_h;
  const float left_w = std::clamp(ImGui::GetContentRegionAvail().x * 0.24f, fs * 11.0f, fs * 22.0f);
  // The two panes' backgrounds are cleared by render_frame, not drawn: under a
  // software renderer (llvmpipe) each full-window layer of blended fill costs
  // several milliseconds a frame.
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
    case Panel::DataPath: draw_datapath_panel(*this); break;
    case Panel::Plots: draw_plots_panel(*this); break;
    case Panel::Timeline: draw_timeline_panel(*this); break;
    case Panel::Compare: draw_compare_panel(*this); break;
    case Panel::Export: draw_export_panel(*this); break;
  }
  ImGui::EndChild();
  end_child_border(0);
  ImGui::TextDisabled("%s", status_.c_str());
  ImGui::End();
}

int App::open_window(bool vsync) {
  if (!init_glfw(glfw_error)) {
    std::fprintf(stderr, "copyscope: cannot open a window (no display?): use 'copyscope run' or 'compare' instead\n");
    return 2;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // ImGui draws in painter's order: no depth or stencil test. Without the
  // buffers llvmpipe has less to do per frame (bench gui: 1-1.7 ms).
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

void App::open_synthetic(size_t events) {
  SessionRun r;
  r.origin = "synthetic";
  r.run = make_synthetic_run(events);
  r.label = "synthetic (" + std::to_string(r.run.events.size()) + " events)";
  r.finished = true;
  const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
  r.summary = summarize(r.run, tb);
  r.view = build_view(r.run, r.summary, tb, true);
  r.cursor = r.view.t1;
  add_run(std::move(r));
}

// Backgrounds as clears, not drawn: the window's colour and the panes'.
// A whole-framebuffer clear is llvmpipe's fast path; a scissored one costs by
// the pixel (the two panes, 1.1 Mpixel at 1600x900, took 2.7 ms a frame). So
// the larger colour, the panes', clears everything, and the window's colour
// is cleared back on the strips around the panes (about 0.2 Mpixel).
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
  poll_live();
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

int App::run() {
  if (int rc = open_window(true)) return rc;

  if (!opt_.replay.empty() && !open_recording(opt_.replay)) {
    std::fprintf(stderr, "copyscope: %s\n", status_.c_str());
    if (screenshot_mode()) {
      close_window();
      return 1;
    }
  }
  if (opt_.synthetic) open_synthetic(opt_.synthetic);
  if (opt_.at >= 0)
    for (auto& r : runs_) r->cursor = r->view.t0 + static_cast<uint64_t>(opt_.at * static_cast<double>(r->view.t1 - r->view.t0));
  if (!opt_.run_method.empty()) {
    if (!capture_problem_.empty()) {
      std::fprintf(stderr, "copyscope: cannot run %s live: %s\n", opt_.run_method.c_str(), capture_problem_.c_str());
      if (screenshot_mode()) {
        close_window();
        return 2;
      }
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
      close_window();
      return 2;
    }
    edit = p;
    // --run a,b,c runs them one after the other (the Compare panel shows all).
    std::string rest = opt_.run_method;
    for (size_t pos = 0; pos != std::string::npos;) {
      const size_t comma = rest.find(',', pos);
      RunParams q = p;
      q.method = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (q.method != p.method) q.sink = opt_.sink;
      try {
        validate(q);
        queue_.push_back(q);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "copyscope: %s\n", e.what());
        close_window();
        return 2;
      }
      pos = comma == std::string::npos ? comma : comma + 1;
    }
    start_next_queued();
  }

  int exit_code = 0;
  int frames_ready = 0;
  double frame_ms_sum = 0, frame_ms_max = 0;
  auto last = std::chrono::steady_clock::now();
  while (!glfwWindowShouldClose(window_) && !g_quit.load()) {
    auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    render_frame(dt);
    int w = 0, h = 0;
    framebuffer_size(&w, &h);

    if (screenshot_mode()) {
      const bool settled = !job_ && queue_.empty();
      if (settled) {
        glFinish();  // charge the GPU's work to this frame
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - now).count();
        frame_ms_sum += ms;
        frame_ms_max = std::max(frame_ms_max, ms);
      }
      if (settled && ++frames_ready >= std::max(2, opt_.frames)) {
        if (SessionRun* r = current(); r && r->failed) {
          std::fprintf(stderr, "copyscope: the run failed: %s\n", r->error.c_str());
          exit_code = 1;
        }
        std::fprintf(stderr, "copyscope: %d frames, mean %.2f ms, max %.2f ms per frame\n", frames_ready,
                     frame_ms_sum / frames_ready, frame_ms_max);
        if (!write_screenshot(opt_.screenshot, w, h)) {
          std::fprintf(stderr, "copyscope: could not write %s\n", opt_.screenshot.c_str());
          exit_code = 1;
        } else if (FILE* f = opt_.regions ? std::fopen((opt_.screenshot + ".json").c_str(), "w") : nullptr) {
          // Where things are, for tests that check the picture (pixels, not pixels scaled).
          SessionRun* cur = current();
          std::string panes;  // as clear_backgrounds() clears them
          for (const PaneBox& b : pane_boxes()) {
            char one[96];
            std::snprintf(one, sizeof one, "%s[%d, %d, %d, %d]", panes.empty() ? "" : ", ", b.x, b.y, b.w, b.h);
            panes += one;
          }
          std::fprintf(f, "{\"panel\": \"%s\", \"method\": \"%s\", \"width\": %d, \"height\": %d, "
                       "\"diagram\": [%.0f, %.0f, %.0f, %.0f], \"panes\": [%s]}\n",
                       panel_id(prefs.panel), cur ? cur->run.params.method.c_str() : "", w, h, diagram_rect[0],
                       diagram_rect[1], diagram_rect[2], diagram_rect[3], panes.c_str());
          std::fclose(f);
        }
        break;
      }
    }
    swap_buffers();
    // Without vsync (e.g. under Xvfb) do not spin a core.
    const auto spent = std::chrono::steady_clock::now() - now;
    if (spent < std::chrono::milliseconds(16)) std::this_thread::sleep_for(std::chrono::milliseconds(16) - spent);
  }
  if (job_) {
    g_cancel.store(true);
    job_->worker.join();
    job_.reset();
    g_cancel.store(false);
  }
  if (g_quit.load()) {
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
