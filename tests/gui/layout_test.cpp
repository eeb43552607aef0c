// Every panel fits: rendered at the sizes a classroom has (1280x720,
// 1600x900, 1920x1080), normal and classroom, light and dark, English and
// Chinese, and checked by the app itself (gui --regions lists each window
// whose items reach past its right edge, or past its bottom where it cannot
// scroll, and each table cell cut by its column: ui/layout_check.h). Two
// recordings are open so that Compare shows its diagrams side by side.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "display.h"

namespace fs = std::filesystem;

namespace {

struct Look {
  const char* name;  // for the test's name
  int w, h;
  const char* flags;
};

const Look kLooks[] = {
    {"Classroom1280x720", 1280, 720, "--classroom"},
    {"Classroom1280x720Zh", 1280, 720, "--classroom --lang zh"},
    {"Classroom1600x900Zh", 1600, 900, "--classroom --lang zh"},
    {"Classroom1920x1080Dark", 1920, 1080, "--classroom --theme dark"},
    {"Normal1280x720ZhDark", 1280, 720, "--lang zh --theme dark"},
    {"Normal1920x1080Light", 1920, 1080, "--theme light"},
};

const char* kPanels[] = {"datapath", "plots", "timeline", "compare", "export"};


class Layout : public ::testing::TestWithParam<std::tuple<const char*, Look>> {};

TEST_P(Layout, NothingIsClipped) {
  if (!gui_test::display_problem().empty()) GTEST_SKIP() << gui_test::display_problem();
  const auto& [panel, look] = GetParam();
  const fs::path rec = fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings";
  if (!fs::exists(rec / "sendfile.json") || !fs::exists(rec / "read_write.json"))
    GTEST_SKIP() << "no recordings in " << rec;
  const fs::path dir = fs::temp_directory_path() / ("copyscope-layout-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string png = (dir / (std::string(panel) + "-" + look.name + ".png")).string();
  const std::string cmd = std::string(COPYSCOPE_BIN) + " gui --replay " + (rec / "sendfile.json").string() +
                          " --replay " + (rec / "read_write.json").string() + " --panel " + panel + " --width " +
                          std::to_string(look.w) + " --height " + std::to_string(look.h) + " " + look.flags +
                          " --frames 4 --regions --screenshot " + png + " 2>&1; echo \"exit $?\"";
  const std::string out = gui_test::command_output(cmd);
  ASSERT_NE(out.find("exit 0\n"), std::string::npos) << cmd << "\n" << out;
  std::ifstream f(png + ".json");
  const nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
  fs::remove_all(dir);
  ASSERT_TRUE(r.is_object() && r["clipped"].is_array()) << png << ".json";
  EXPECT_EQ(r["width"].get<int>(), look.w);
  EXPECT_EQ(r["height"].get<int>(), look.h);
  std::string clipped;
  for (const auto& c : r["clipped"]) clipped += "\n  " + c.get<std::string>();
  EXPECT_TRUE(r["clipped"].empty()) << panel << " at " << look.name << ", text " << r["font_px"] << " px:" << clipped;
  // The data path's diagram lies inside the window.
  const auto& d = r["diagram"];
  if (std::string(panel) == "datapath") {
    ASSERT_TRUE(d.is_array() && d.size() == 4);
    EXPECT_GT(d[2].get<double>(), 0);
    EXPECT_LE(d[0].get<double>() + d[2].get<double>(), look.w + 1.0);
    EXPECT_LE(d[1].get<double>() + d[3].get<double>(), look.h + 1.0);
  }
}

std::string name_of(const ::testing::TestParamInfo<Layout::ParamType>& info) {
  return std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
}

// Export's "Save diagram (PNG)": the window's own pixels of the data-path
// diagram, written through an OutputFile; the Export panel is shown again after.
TEST(DiagramPng, IsTheDiagramAsDrawn) {
  if (!gui_test::display_problem().empty()) GTEST_SKIP() << gui_test::display_problem();
  const fs::path rec = fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "read_write.json";
  if (!fs::exists(rec)) GTEST_SKIP() << "no recording " << rec;
  const fs::path dir = fs::temp_directory_path() / ("copyscope-diagram-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string png = (dir / "d.png").string(), shot = (dir / "s.png").string();
  const std::string out = gui_test::command_output(std::string(COPYSCOPE_BIN) + " gui --replay " + rec.string() +
                              " --panel export --width 1600 --height 900 --regions --save-diagram " + png +
                              " --screenshot " + shot + " 2>&1; echo \"exit $?\"");
  ASSERT_NE(out.find("exit 0\n"), std::string::npos) << out;
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  ASSERT_NE(px, nullptr) << png << " is not a PNG";
  // The diagram, not the window: narrower than the window, as wide as the panel's diagram.
  EXPECT_GT(w, 600);
  EXPECT_LT(w, 1600);
  EXPECT_GT(h, 150);
  EXPECT_LT(h, 900);
  // It shows read + write's arrows: DMA blue and CPU-copy orange pixels (palette.h).
  size_t dma = 0, cpu = 0;
  for (int i = 0; i < w * h; ++i) {
    const unsigned char* c = px + static_cast<size_t>(i) * 3;
    dma += c[0] == 40 && c[1] == 120 && c[2] == 232;
    cpu += c[0] == 232 && c[1] == 80 && c[2] == 32;
  }
  stbi_image_free(px);
  EXPECT_GT(dma, 200u);
  EXPECT_GT(cpu, 200u);
  std::ifstream f(shot + ".json");
  const nlohmann::json r = nlohmann::json::parse(f, nullptr, false);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["panel"], "export") << "the panel the user was on comes back";
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Panels, Layout, ::testing::Combine(::testing::ValuesIn(kPanels), ::testing::ValuesIn(kLooks)),
                         name_of);

}  // namespace
