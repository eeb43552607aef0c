// Screenshots of every panel for a read_write and a sendfile run, checked as
// pictures: not blank, panels differ, and the data path shows the CPU-copy
// arrows the run measured (2 for read_write, none for sendfile here).
// Runs under Xvfb (see tests/CMakeLists.txt). Needs recordings in
// assets/recordings/, or root for live runs; otherwise skips and says why.
#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

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

// Renders one panel; returns the PNG path ("" when the command failed).
std::string shoot(const std::string& method, const std::string& panel, const std::string& extra = "",
                  const std::string& size = "--width 1600 --height 900") {
  static std::map<std::string, std::string> done;
  const std::string key = method + panel + extra + size;
  if (done.count(key)) return done[key];
  fs::create_directories(kDir);
  std::string out = kDir + "/" + method + "-" + panel + (extra.empty() ? "" : "-x") + ".png";
  const std::string cmd = std::string(COPYSCOPE_BIN) + " gui " + source_for(method) + " --panel " + panel +
                          " --screenshot " + out + " --regions --frames 6 " + size + " " + extra + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    ADD_FAILURE() << cmd << " exited with " << rc;
    out.clear();
  }
  return done[key] = out;
}

bool skip_reason(std::string* why) {
  const char* d = std::getenv("DISPLAY");
  if (!d || !*d) {
    *why = "no DISPLAY: run this test under xvfb-run (ctest -L gui does)";
    return true;
  }
  if (source_for("read_write").empty() || source_for("sendfile").empty()) {
    *why = "no recordings in assets/recordings and not root: nothing to show";
    return true;
  }
  return false;
}

#define SKIP_WITHOUT_DISPLAY()                                 \
  do {                                                         \
    std::string why;                                           \
    if (skip_reason(&why)) {                                   \
      std::printf("[  SKIPPED ] %s\n", why.c_str());           \
      GTEST_SKIP() << why;                                     \
    }                                                          \
  } while (0)

struct Region {
  int x = 0, y = 0, w = 0, h = 0;
};

Region diagram_of(const std::string& png) {
  std::ifstream f(png + ".json");
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  Region r;
  if (j.is_discarded() || !j.contains("diagram")) return r;
  r.x = j["diagram"][0].get<int>();
  r.y = j["diagram"][1].get<int>();
  r.w = j["diagram"][2].get<int>();
  r.h = j["diagram"][3].get<int>();
  return r;
}

bool near(const unsigned char* p, int r, int g, int b, int tol = 14) {
  return std::abs(p[0] - r) <= tol && std::abs(p[1] - g) <= tol && std::abs(p[2] - b) <= tol;
}

// Connected blobs (8-neighbour) of a colour inside a region, ignoring specks.
std::vector<size_t> blobs(const Image& img, Region reg, int r, int g, int b, size_t min_px) {
  std::vector<char> mask(static_cast<size_t>(reg.w) * reg.h, 0);
  for (int y = 0; y < reg.h; ++y)
    for (int x = 0; x < reg.w; ++x)
      mask[static_cast<size_t>(y) * reg.w + x] = near(img.at(reg.x + x, reg.y + y), r, g, b);
  std::vector<size_t> sizes;
  std::vector<int> stack;
  for (int i = 0; i < reg.w * reg.h; ++i) {
    if (!mask[i]) continue;
    size_t n = 0;
    stack.push_back(i);
    mask[i] = 0;
    while (!stack.empty()) {
      int c = stack.back();
      stack.pop_back();
      ++n;
      const int cx = c % reg.w, cy = c / reg.w;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = cx + dx, ny = cy + dy;
          if (nx < 0 || ny < 0 || nx >= reg.w || ny >= reg.h) continue;
          const int k = ny * reg.w + nx;
          if (mask[k]) {
            mask[k] = 0;
            stack.push_back(k);
          }
        }
    }
    if (n >= min_px) sizes.push_back(n);
  }
  return sizes;
}

size_t distinct_colours(const Image& img) {
  std::vector<char> seen(1 << 15, 0);
  size_t n = 0;
  for (size_t i = 0; i + 2 < img.px.size(); i += 3) {
    const int k = ((img.px[i] >> 3) << 10) | ((img.px[i + 1] >> 3) << 5) | (img.px[i + 2] >> 3);
    if (!seen[k]) {
      seen[k] = 1;
      ++n;
    }
  }
  return n;
}

double fraction_different(const Image& a, const Image& b) {
  if (a.w != b.w || a.h != b.h) return 1.0;
  size_t diff = 0;
  for (size_t i = 0; i + 2 < a.px.size(); i += 3)
    if (std::abs(a.px[i] - b.px[i]) + std::abs(a.px[i + 1] - b.px[i + 1]) + std::abs(a.px[i + 2] - b.px[i + 2]) > 30)
      ++diff;
  return static_cast<double>(diff) / (a.px.size() / 3.0);
}

// kCpuCopy and kDma in app/ui/app.h.
constexpr int kCpu[3] = {232, 80, 32};
constexpr int kDma[3] = {40, 120, 232};

const char* kPanels[] = {"datapath", "plots", "timeline", "compare", "export"};

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

}  // namespace

TEST(Screenshots, EveryPanelIsDrawnAndDiffers) {
  SKIP_WITHOUT_DISPLAY();
  for (const char* method : {"read_write", "sendfile"}) {
    std::vector<Image> imgs;
    for (const char* panel : kPanels) {
      const std::string png = shoot(method, panel);
      ASSERT_FALSE(png.empty());
      Image img = load(png);
      ASSERT_EQ(img.w, 1600) << png;
      ASSERT_EQ(img.h, 900) << png;
      EXPECT_GT(distinct_colours(img), 40u) << png << " looks blank";
      imgs.push_back(std::move(img));
    }
    for (size_t i = 0; i < imgs.size(); ++i)
      for (size_t j = i + 1; j < imgs.size(); ++j)
        EXPECT_GT(fraction_different(imgs[i], imgs[j]), 0.02) << method << ": " << kPanels[i] << " vs " << kPanels[j];
  }
}

TEST(Screenshots, DataPathDrawsTheMeasuredCpuCopies) {
  SKIP_WITHOUT_DISPLAY();
  std::map<std::string, size_t> arrows, dma_px;
  for (const char* method : {"read_write", "sendfile"}) {
    const std::string png = shoot(method, "datapath");
    ASSERT_FALSE(png.empty());
    Image img = load(png);
    Region d = diagram_of(png);
    ASSERT_GT(d.w, 200) << "no diagram region in " << png << ".json";
    ASSERT_LE(d.x + d.w, img.w);
    ASSERT_LE(d.y + d.h, img.h);
    arrows[method] = blobs(img, d, kCpu[0], kCpu[1], kCpu[2], 150).size();
    for (size_t n : blobs(img, d, kDma[0], kDma[1], kDma[2], 150)) dma_px[method] += n;
  }
  EXPECT_EQ(arrows["read_write"], 2u) << "read + write copies twice: page cache -> user buffer -> socket buffer";
  EXPECT_EQ(arrows["sendfile"], 0u) << "sendfile to TCP hands page references to the socket on this kernel";
  EXPECT_GT(dma_px["read_write"], 200u);
  EXPECT_GT(dma_px["sendfile"], 200u);
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
  for (const Theme& t : {Theme{"", {33, 36, 43}, {26, 28, 33}}, Theme{"--theme light", {255, 255, 255}, {250, 250, 247}}}) {
    const std::string png = shoot("read_write", "export", t.extra);  // an empty panel: mostly background
    ASSERT_FALSE(png.empty());
    Image img = load(png);
    std::ifstream f(png + ".json");
    nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
    ASSERT_TRUE(j.is_object() && j["panes"].is_array()) << png << ".json";
    ASSERT_EQ(j["panes"].size(), 2u) << "the scenario pane and the panel";
    auto near = [&](int x, int y, const int want[3]) {
      const unsigned char* p = img.at(x, y);
      for (int c = 0; c < 3; ++c)
        if (std::abs(p[c] - want[c]) > 1) return false;
      return true;
    };
    int prev_right = 0;
    for (const auto& r : j["panes"]) {
      const int x = r[0], y = r[1], w = r[2], h = r[3];
      ASSERT_LE(x + w, img.w);
      ASSERT_LE(y + h, img.h);
      // Inside, near the bottom right corner: nothing is drawn there in the export panel.
      EXPECT_TRUE(near(x + w - 12, y + h - 12, t.pane)) << png << ": inside the pane at x " << x;
      // The strip to its left, between it and the pane before it (or the window's edge).
      if (x - prev_right >= 3) EXPECT_TRUE(near((prev_right + x) / 2, y + h / 2, t.window)) << png << ": strip at x " << x;
      // Above it, between the toolbar's widgets and the pane: the window's colour.
      EXPECT_TRUE(near(x + w - 3, y - 2, t.window)) << png << ": above the pane at x " << x;
      prev_right = x + w;
    }
  }
}

TEST(Screenshots, ChineseAndSmallWindowRender) {
  SKIP_WITHOUT_DISPLAY();
  const std::string en = shoot("read_write", "datapath");
  const std::string zh = shoot("read_write", "datapath", "--lang zh", "--width 1280 --height 720");
  ASSERT_FALSE(zh.empty());
  Image a = load(en), b = load(zh);
  ASSERT_EQ(b.w, 1280);
  ASSERT_EQ(b.h, 720);
  EXPECT_GT(distinct_colours(b), 40u);
  // Same CPU arrows whatever the language and size.
  Region d = diagram_of(zh);
  EXPECT_EQ(blobs(b, d, kCpu[0], kCpu[1], kCpu[2], 100).size(), 2u);
}
