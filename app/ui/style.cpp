// The window's look: the theme's colours and spacing, and the fonts (Latin
// and, for Chinese, a CJK font from Debian's packages found at run time).
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <filesystem>
#include <iterator>

#include "backends/imgui_impl_opengl3.h"
#include "model/textbook.h"
#include "ui/app.h"

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

}  // namespace

bool light_theme(const App& app) { return app.prefs.theme == "light"; }

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
  const float k = content_scale_;
  s.WindowRounding = 0;
  s.ChildRounding = 4 * k;
  s.FrameRounding = 4 * k;
  s.ItemSpacing = ImVec2(8 * k, 6 * k);
  s.FramePadding = ImVec2(8 * k, 4 * k);
  s.WindowPadding = ImVec2(8 * k, 8 * k);
  s.ScrollbarSize = 14 * k;
}

void App::apply_fonts() {
  // The window's size and the monitor's scale decide the size (font_px): a
  // classroom window fits its screen, a HiDPI monitor gets larger text.
  int ww = 0, wh = 0;
  float xs = 1, ys = 1;
  glfwGetWindowSize(window_, &ww, &wh);
  glfwGetWindowContentScale(window_, &xs, &ys);
  content_scale_ = std::clamp(ys, 1.0f, 4.0f);
  const float px = font_px(prefs.classroom, ww, wh, content_scale_);
  const std::string want = prefs.lang + std::to_string(px);
  if (want == fonts_for_) return;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  static const ImWchar kLatin[] = {0x0020, 0x00FF, 0x2010, 0x2027, 0x2190, 0x21FF, 0x2212, 0x2212,
                                   0x2248, 0x2265, 0x25A0, 0x25FF, 0x2713, 0x2718, 0};
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

}  // namespace copyscope::ui
