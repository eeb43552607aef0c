// Screenshots of the GUI for a read_write and a sendfile run, checked as
// pictures. One test per panel the app offers (its --panel choices, asked of
// the binary), so that ctest shows which panel broke: each must be drawn, and
// show its own content, which the other panels do not have (checked too).
// Needs recordings in assets/recordings/, or root for live runs; a display, or
// Xvfb (display.h starts one); otherwise skips and says why.
#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "display.h"

namespace fs = std::filesystem;

namespace {

struct Rgb {
  int r, g, b;
};

struct Region {
  int x = 0, y = 0, w = 0, h = 0;
};

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> px;  // RGB
  const unsigned char* at(int x, int y) const { return &px[(static_cast<size_t>(y) * w + x) * 3]; }
};

Image load(const std::string& path) {
  Image img;
  int n = 0;
  unsigned char* data = stbi_load(path.c_str(), &img.w, &img.h, &n, 3);
  if (!data) return img;
  img.px.assign(data, data + static_cast<size_t>(img.w) * img.h * 3);
  stbi_image_free(data);
  return img;
}

const std::string kDir = (fs::temp_directory_path() / ("copyscope-gui-test-" + std::to_string(getpid()))).string();

std::string source_for(const std::string& method) {
  const fs::path rec = fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / (method + ".json");
  if (fs::exists(rec)) return "--replay " + rec.string();
  if (geteuid() == 0) return "--run " + method + " --size 8M --buffer 64K --cache cold";
  return "";
}


// The panels `copyscope gui --panel` accepts, as its help lists them
// ("--panel TEXT:{datapath,plots,...}"). Asked when the tests are listed, so a
// new panel gets its own test at the next build.
std::vector<std::string> panels_the_app_offers() {
  const std::string help = gui_test::command_output(std::string(COPYSCOPE_BIN) + " gui --help 2>&1");
  std::vector<std::string> panels;
  const size_t opt = help.find("--panel");
  const size_t open = help.find('{', opt);
  const size_t close = help.find('}', open);
  if (opt == std::string::npos || open == std::string::npos || close == std::string::npos ||
      help.find('\n', opt) < open)
    return {"unknown_panels_see_gui_help"};  // a test of that name fails and says why
  const std::string list = help.substr(open + 1, close - open - 1);
  for (size_t pos = 0; pos <= list.size();) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    if (comma > pos) panels.push_back(list.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return panels;
}

// One screenshot: the picture, where the app says its parts are, and whether
// the command worked.
struct Shot {
  std::string png, error;
  Image img;
  nlohmann::json regions;
  Region pane;  // the panel's pane (the scenario pane is the other one)
  Region scenario;
  Region diagram;
};

Region region_of(const nlohmann::json& r) {
  if (!r.is_array() || r.size() != 4) return {};
  return {r[0].get<int>(), r[1].get<int>(), r[2].get<int>(), r[3].get<int>()};
}

// Renders one panel; cached per process.
const Shot& shoot(const std::string& method, const std::string& panel, const std::string& extra = "",
                  const std::string& size = "--width 1600 --height 900") {
  static std::map<std::string, Shot> done;
  const std::string key = method + "|" + panel + "|" + extra + "|" + size;
  if (auto it = done.find(key); it != done.end()) return it->second;
  Shot& s = done[key];
  fs::create_directories(kDir);
  s.png = kDir + "/" + method + "-" + panel + (extra.empty() ? "" : "-x") +
          (size.find("1600") == std::string::npos ? "-small" : "") + ".png";
  const std::string cmd = std::string(COPYSCOPE_BIN) + " gui " + source_for(method) + " --panel " + panel +
                          " --screenshot " + s.png + " --regions --frames 6 " + size + " " + extra + " 2>&1";
  const std::string out = gui_test::command_output(cmd + "; echo \"exit $?\"");
  if (out.size() < 7 || out.compare(out.size() - 7, 7, "exit 0\n") != 0) {
    s.error = cmd + ":\n" + out;
    return s;
  }
  s.img = load(s.png);
  std::ifstream f(s.png + ".json");
  s.regions = nlohmann::json::parse(f, nullptr, false);
  if (s.img.px.empty() || !s.regions.is_object() || !s.regions["panes"].is_array() || s.regions["panes"].size() != 2) {
    s.error = s.png + ": no picture, or its regions (" + s.png + ".json) do not name the two panes";
    return s;
  }
  s.scenario = region_of(s.regions["panes"][0]);
  s.pane = region_of(s.regions["panes"][1]);
  s.diagram = region_of(s.regions["diagram"]);
  for (const Region& r : {s.scenario, s.pane, s.diagram})
    if (r.x < 0 || r.y < 0 || r.x + r.w > s.img.w || r.y + r.h > s.img.h)
      s.error = s.png + ": a region lies outside the picture";
  return s;
}

bool skip_reason(std::string* why) {
  if (!gui_test::have_display()) {
    *why = gui_test::display_problem().empty() ? "no DISPLAY" : gui_test::display_problem();
    return true;
  }
  if (source_for("read_write").empty() || source_for("sendfile").empty()) {
    *why = "no recordings in assets/recordings and not root: nothing to show";
    return true;
  }
  return false;
}

#define SKIP_WITHOUT_DISPLAY()                       \
  do {                                               \
    std::string why;                                 \
    if (skip_reason(&why)) {                         \
      std::printf("[  SKIPPED ] %s\n", why.c_str()); \
      GTEST_SKIP() << why;                           \
    }                                                \
  } while (0)

bool near(const unsigned char* p, Rgb c, int tol = 14) {
  return std::abs(p[0] - c.r) <= tol && std::abs(p[1] - c.g) <= tol && std::abs(p[2] - c.b) <= tol;
}

size_t count(const Image& img, Region reg, Rgb c, int tol = 14) {
  size_t n = 0;
  for (int y = reg.y; y < reg.y + reg.h; ++y)
    for (int x = reg.x; x < reg.x + reg.w; ++x) n += near(img.at(x, y), c, tol);
  return n;
}

// A connected blob (8-neighbour) of one colour: its pixels and bounding box.
struct Blob {
  size_t n = 0;
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  int w() const { return x1 - x0 + 1; }
  int h() const { return y1 - y0 + 1; }
  double fill() const { return static_cast<double>(n) / (static_cast<double>(w()) * h()); }
};

std::vector<Blob> blobs(const Image& img, Region reg, Rgb c, size_t min_px, int tol = 14) {
  std::vector<char> mask(static_cast<size_t>(reg.w) * reg.h, 0);
  for (int y = 0; y < reg.h; ++y)
    for (int x = 0; x < reg.w; ++x)
      mask[static_cast<size_t>(y) * reg.w + x] = near(img.at(reg.x + x, reg.y + y), c, tol);
  std::vector<Blob> out;
  std::vector<int> stack;
  for (int i = 0; i < reg.w * reg.h; ++i) {
    if (!mask[i]) continue;
    Blob b;
    stack.push_back(i);
    mask[i] = 0;
    while (!stack.empty()) {
      const int k = stack.back();
      stack.pop_back();
      const int cx = k % reg.w, cy = k / reg.w;
      ++b.n;
      b.x0 = std::min(b.x0, cx), b.x1 = std::max(b.x1, cx), b.y0 = std::min(b.y0, cy), b.y1 = std::max(b.y1, cy);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = cx + dx, ny = cy + dy;
          if (nx < 0 || ny < 0 || nx >= reg.w || ny >= reg.h) continue;
          const int j = ny * reg.w + nx;
          if (mask[j]) {
            mask[j] = 0;
            stack.push_back(j);
          }
        }
    }
    if (b.n >= min_px) {
      b.x0 += reg.x, b.x1 += reg.x, b.y0 += reg.y, b.y1 += reg.y;
      out.push_back(b);
    }
  }
  return out;
}

// Filled rectangles of one colour at least w x h (text on them may leave holes).
std::vector<Blob> boxes(const Image& img, Region reg, Rgb c, int min_w, int min_h, double min_fill = 0.9,
                        int tol = 14) {
  std::vector<Blob> out;
  for (const Blob& b : blobs(img, reg, c, static_cast<size_t>(min_w) * min_h / 2, tol))
    if (b.w() >= min_w && b.h() >= min_h && b.fill() >= min_fill) out.push_back(b);
  return out;
}

size_t distinct_colours(const Image& img, Region reg) {
  std::vector<char> seen(1 << 15, 0);
  size_t n = 0;
  for (int y = reg.y; y < reg.y + reg.h; ++y)
    for (int x = reg.x; x < reg.x + reg.w; ++x) {
      const unsigned char* p = img.at(x, y);
      const int k = ((p[0] >> 3) << 10) | ((p[1] >> 3) << 5) | (p[2] >> 3);
      if (!seen[k]) {
        seen[k] = 1;
        ++n;
      }
    }
  return n;
}

// The palette (app/model/palette.h) and the dark theme's widget colours
// over a pane (ImGui's dark Button and FrameBg, blended over ChildBg).
constexpr Rgb kCpu{232, 80, 32}, kDma{40, 120, 232}, kSwitch{214, 170, 0};
constexpr Rgb kCtxSwitch{170, 80, 200}, kFaults{200, 60, 120}, kPayload{40, 170, 90};
constexpr Rgb kSyscallPalette[] = {{70, 150, 220},  {230, 140, 50}, {90, 180, 120}, {200, 90, 160},
                                   {150, 120, 220}, {60, 180, 190}, {210, 190, 70}};
constexpr Rgb kButton{46, 82, 126}, kFrame{37, 56, 86};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += "\n  - " + x;
  return s;
}

using Problems = std::vector<std::string>;

// What a panel must show for a read_write or a sendfile recording. Each returns
// what is wrong ("" lines never): empty when the picture is that panel's.
Problems datapath_problems(const Shot& s, const std::string& method) {
  Problems p;
  const Region& d = s.diagram;
  if (d.w <= 200 || d.h <= 100)
    return {"no diagram region (" + std::to_string(d.w) + " x " + std::to_string(d.h) + ")"};
  // Arrows: the CPU copies the run measured (2 for read + write, none for
  // sendfile over loopback, which hands page references to the socket).
  const size_t cpu = blobs(s.img, d, kCpu, 150).size();
  const size_t want = method == "read_write" ? 2 : 0;
  if (cpu != want)
    p.push_back(std::to_string(cpu) + " CPU-copy arrows in the diagram, expected " + std::to_string(want));
  size_t dma = 0;
  for (const Blob& b : blobs(s.img, d, kDma, 150)) dma += b.n;
  if (dma <= 200) p.push_back("no DMA arrow in the diagram (" + std::to_string(dma) + " px)");
  return p;
}

Problems plots_problems(const Shot& s, const std::string& method) {
  Problems p;
  // Each chart's line runs across it: mode switches, context switches, page
  // faults (their own colours) and throughput, at least a chart's width of pixels.
  const size_t min_line = static_cast<size_t>(s.pane.w) / 4;
  for (const auto& [name, c] : {std::pair<const char*, Rgb>{"mode switches", kSwitch},
                                {"context switches", kCtxSwitch},
                                {"page faults", kFaults},
                                {"throughput", kPayload}}) {
    const size_t n = count(s.img, s.pane, c);
    if (n < min_line)
      p.push_back(std::string(name) + " line: " + std::to_string(n) + " px < " + std::to_string(min_line));
  }
  // Bytes by CPU copies: a line for read_write; for sendfile a flat line at 0,
  // under the others, and the legend's swatch.
  const size_t cpu = count(s.img, s.pane, kCpu);
  if (method == "read_write" && cpu < min_line) p.push_back("CPU-copy line: " + std::to_string(cpu) + " px");
  if (method == "sendfile" && cpu >= min_line)
    p.push_back("a CPU-copy line for sendfile: " + std::to_string(cpu) + " px");
  if (count(s.img, s.pane, kDma) < min_line / 2) p.push_back("no DMA line");
  return p;
}

Problems timeline_problems(const Shot& s, const std::string&) {
  Problems p;
  // Lanes of spans: block I/O (disk DMA) and syscalls are solid bars a lane high.
  const auto disk = boxes(s.img, s.pane, kDma, 12, 20);
  if (disk.empty()) p.push_back("no block-I/O bar on the disk lane");
  size_t syscall_bars = 0;
  for (const Rgb& c : kSyscallPalette) syscall_bars += boxes(s.img, s.pane, c, 12, 20).size();
  if (syscall_bars == 0) p.push_back("no syscall bar on a thread's lane");
  return p;
}

Problems compare_problems(const Shot& s, const std::string& method) {
  Problems p;
  // One finished run: its throughput bar is the longest (full width); its CPU
  // copies per byte bar is full width at 2 (read_write) and 1 px at 0 (sendfile).
  const auto tp = boxes(s.img, s.pane, kPayload, 100, 8);
  if (tp.size() != 1) return {std::to_string(tp.size()) + " throughput bars, expected 1"};
  const auto cpu = boxes(s.img, s.pane, kCpu, 3, 8);
  if (method == "read_write") {
    if (cpu.size() != 1 || std::abs(cpu[0].w() - tp[0].w()) > 2 || std::abs(cpu[0].y0 - tp[0].y0) > 1)
      p.push_back("the CPU-copies bar is not as long as the throughput bar, on its row (2 copies per byte of 2)");
  } else if (!cpu.empty()) {
    p.push_back("a CPU-copies bar " + std::to_string(cpu[0].w()) + " px long for a run without CPU copies");
  }
  return p;
}

Problems export_problems(const Shot& s, const std::string&) {
  Problems p;
  // The file name field across the pane; under it three Save buttons in a row
  // (trace, CSV, report), and under those the diagram's two (SVG, PNG).
  const auto field = boxes(s.img, s.pane, kFrame, s.pane.w / 2, 16, 0.6, 4);
  if (field.size() != 1) p.push_back(std::to_string(field.size()) + " wide text fields, expected the file name's");
  auto buttons = boxes(s.img, s.pane, kButton, 40, 16, 0.6, 4);
  std::sort(buttons.begin(), buttons.end(), [](const Blob& a, const Blob& b) { return a.y0 < b.y0 || (a.y0 == b.y0 && a.x0 < b.x0); });
  if (buttons.size() != 5) {
    p.push_back(std::to_string(buttons.size()) +
                " buttons, expected Save trace, Save CSV, Save report, then Save diagram SVG and PNG");
  } else {
    for (size_t i = 1; i < 3; ++i)
      if (std::abs(buttons[i].y0 - buttons[0].y0) > 1) p.push_back("the three Save buttons are not on one row");
    if (std::abs(buttons[4].y0 - buttons[3].y0) > 1 || buttons[3].y0 <= buttons[0].y1)
      p.push_back("the two diagram buttons are not on a row under the others");
    if (!field.empty() && buttons[0].y0 <= field[0].y1) p.push_back("the Save buttons are not under the file name");
  }
  return p;
}

Problems problems_of(const std::string& panel, const Shot& s, const std::string& method) {
  if (panel == "datapath") return datapath_problems(s, method);
  if (panel == "plots") return plots_problems(s, method);
  if (panel == "timeline") return timeline_problems(s, method);
  if (panel == "compare") return compare_problems(s, method);
  if (panel == "export") return export_problems(s, method);
  return {"no check for panel '" + panel + "' in tests/gui/screenshot_test.cpp: add what it must show"};
}

// Screenshots stay behind only when something failed, to be looked at.
class KeepOnFailure : public ::testing::Environment {
 public:
  void TearDown() override {
    if (::testing::UnitTest::GetInstance()->failed_test_count() == 0) {
      std::error_code ec;
      fs::remove_all(kDir, ec);
    } else {
      std::printf("screenshots kept in %s\n", kDir.c_str());
    }
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new KeepOnFailure);

const char* const kMethods[] = {"read_write", "sendfile"};

class Panel : public ::testing::TestWithParam<std::string> {};

}  // namespace

// The panel is drawn, is the one asked for, and shows its content.
TEST_P(Panel, IsDrawnWithItsContent) {
  SKIP_WITHOUT_DISPLAY();
  const std::string panel = GetParam();
  for (const char* method : kMethods) {
    SCOPED_TRACE(method);
    const Shot& s = shoot(method, panel);
    ASSERT_TRUE(s.error.empty()) << s.error;
    EXPECT_EQ(s.img.w, 1600);
    EXPECT_EQ(s.img.h, 900);
    EXPECT_EQ(s.regions.value("panel", ""), panel);
    EXPECT_EQ(s.regions.value("method", ""), method);
    EXPECT_GT(s.pane.w, 600);
    EXPECT_GT(s.pane.h, 400);
    EXPECT_GT(distinct_colours(s.img, s.pane), 40u) << s.png << ": the panel looks blank";
    const Problems p = problems_of(panel, s, method);
    EXPECT_TRUE(p.empty()) << s.png << " is not the " << panel << " panel of " << method << ":" << join(p);
  }
}

INSTANTIATE_TEST_SUITE_P(Gui, Panel, ::testing::ValuesIn(panels_the_app_offers()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Every panel's check fails on every other panel's picture: each test above
// tells its panel apart, and --panel really switches what is drawn.
TEST(Screenshots, EachPanelsChecksFailOnTheOtherPanels) {
  SKIP_WITHOUT_DISPLAY();
  const std::vector<std::string> panels = panels_the_app_offers();
  ASSERT_GE(panels.size(), 2u);
  for (const char* method : kMethods)
    for (const std::string& shown : panels) {
      const Shot& s = shoot(method, shown);
      ASSERT_TRUE(s.error.empty()) << s.error;
      for (const std::string& check : panels)
        if (check != shown)
          EXPECT_FALSE(problems_of(check, s, method).empty())
              << "the " << check << " checks pass on the " << shown << " panel of " << method << " (" << s.png << ")";
    }
}

// The scenario pane, left of every panel: its fields (method, size, buffer,
// cache, sink, where it runs; the command, PID and seconds of Trace a
// program; the recording's path), Run and Run all side by side, and a small
// button per bundled recording.
TEST(Screenshots, ScenarioPaneShowsItsControls) {
  SKIP_WITHOUT_DISPLAY();
  const Shot& s = shoot("read_write", "datapath");
  ASSERT_TRUE(s.error.empty()) << s.error;
  EXPECT_LT(s.scenario.x + s.scenario.w, s.pane.x) << "the scenario pane is left of the panel";
  size_t recordings = 0;
  for (const auto& e : fs::directory_iterator(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings"))
    recordings += e.path().extension() == ".json";
  size_t small = 0, run_buttons = 0;
  const auto buttons = boxes(s.img, s.scenario, kButton, 20, 14, 0.5, 4);
  for (const Blob& b : buttons) {
    small += b.h() < 22;
    run_buttons += b.h() >= 22 && b.w() >= 40;  // the combo boxes' arrow buttons are square
  }
  EXPECT_EQ(small, recordings) << s.png << ": one button per recording in assets/recordings";
  EXPECT_EQ(run_buttons, 2u) << s.png << ": Run and Run all";
  const auto fields = boxes(s.img, s.scenario, kFrame, s.scenario.w / 3, 14, 0.5, 4);
  EXPECT_EQ(fields.size(), 10u) << s.png
                                << ": method, size, buffer, cache, sink, where, the trace's command, PID and seconds, "
                                   "and the recording's path";
}

// The backgrounds are clears, not drawn (see App::clear_backgrounds): the
// panes' colour inside each pane, the window's on the strips around them. The
// colours are the themes' ImGuiCol_ChildBg and ImGuiCol_WindowBg (app.cpp).
TEST(Screenshots, PanesAndTheStripsAroundThemHaveTheirThemesColours) {
  SKIP_WITHOUT_DISPLAY();
  struct Theme {
    const char* extra;
    int pane[3], window[3];
  };
  for (const Theme& t :
       {Theme{"", {33, 36, 43}, {26, 28, 33}}, Theme{"--theme light", {255, 255, 255}, {250, 250, 247}}}) {
    const Shot& s = shoot("read_write", "export", t.extra);  // an empty panel: mostly background
    ASSERT_TRUE(s.error.empty()) << s.error;
    auto exact = [&](int x, int y, const int want[3]) {
      const unsigned char* p = s.img.at(x, y);
      for (int c = 0; c < 3; ++c)
        if (std::abs(p[c] - want[c]) > 1) return false;
      return true;
    };
    int prev_right = 0;
    for (const Region& r : {s.scenario, s.pane}) {
      // Inside, near the bottom right corner: nothing is drawn there in the export panel.
      EXPECT_TRUE(exact(r.x + r.w - 12, r.y + r.h - 12, t.pane)) << s.png << ": inside the pane at x " << r.x;
      // The strip to its left, between it and the pane before it (or the window's edge).
      EXPECT_GE(r.x - prev_right, 3) << s.png << ": no strip left of the pane at x " << r.x;
      EXPECT_TRUE(exact((prev_right + r.x) / 2, r.y + r.h / 2, t.window)) << s.png << ": strip at x " << r.x;
      // Above it, between the toolbar's widgets and the pane: the window's colour.
      EXPECT_TRUE(exact(r.x + r.w - 3, r.y - 2, t.window)) << s.png << ": above the pane at x " << r.x;
      prev_right = r.x + r.w;
    }
  }
}

TEST(Screenshots, ChineseAndSmallWindowRender) {
  SKIP_WITHOUT_DISPLAY();
  const Shot& zh = shoot("read_write", "datapath", "--lang zh", "--width 1280 --height 720");
  ASSERT_TRUE(zh.error.empty()) << zh.error;
  EXPECT_EQ(zh.img.w, 1280);
  EXPECT_EQ(zh.img.h, 720);
  EXPECT_GT(distinct_colours(zh.img, zh.pane), 40u);
  // Same CPU arrows whatever the language and size.
  EXPECT_EQ(blobs(zh.img, zh.diagram, kCpu, 100).size(), 2u);
}
