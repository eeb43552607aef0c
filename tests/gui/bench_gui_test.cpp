// `copyscope bench gui` on a display (display.h starts Xvfb when there is none):
// it renders, and prints the figures the README quotes as JSON. Never a timed
// assertion: the figures only need to exist.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "../integration/support.h"
#include "display.h"

namespace {

// copyscope with stdout captured and stderr kept, for the failure message.
struct Output {
  CommandResult r;
  std::string err;
};
Output run_keeping_stderr(const std::string& args) {
  const std::string err_path = "/tmp/copyscope-bench-gui-" + std::to_string(getpid()) + ".err";
  Output o;
  o.r = run_copyscope(args, "2>" + err_path);
  std::ifstream f(err_path);
  o.err.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return o;
}

void expect_figures(const nlohmann::json& f, size_t frames) {
  ASSERT_TRUE(f.is_object()) << f;
  EXPECT_EQ(f.at("frames").get<size_t>(), frames);
  const double median = f.at("frame_ms_median").get<double>(), p95 = f.at("frame_ms_p95").get<double>();
  EXPECT_GT(median, 0.0);
  EXPECT_GE(p95, median);
  EXPECT_GE(f.at("frame_ms_max").get<double>(), p95);
}

}  // namespace

TEST(BenchGui, RendersBothPanelsAndPrintsTheFigures) {
  if (!gui_test::have_display()) GTEST_SKIP() << gui_test::display_problem();
  const Output o = run_keeping_stderr("bench gui --events 20000 --frames 12 --json");
  const CommandResult& r = o.r;
  ASSERT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << o.err;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  // The synthetic run is "about" N events: it ends on a whole transfer unit.
  EXPECT_GE(j.at("events").get<size_t>(), 19'900u);
  EXPECT_LE(j.at("events").get<size_t>(), 20'000u);
  expect_figures(j, 24);
  expect_figures(j.at("panels").at("timeline"), 12);
  expect_figures(j.at("panels").at("datapath"), 12);
  EXPECT_GT(j.at("width").get<int>(), 0);
  EXPECT_GT(j.at("height").get<int>(), 0);
  EXPECT_EQ(j.at("swap_interval").get<int>(), 0);
  EXPECT_FALSE(j.at("renderer").get<std::string>().empty());
}

TEST(BenchGui, WithoutADisplayItSaysSoAndExits2) {
  const std::string cmd =
      std::string("env -u DISPLAY -u WAYLAND_DISPLAY ") + COPYSCOPE_BIN + " bench gui --events 1000 --frames 2 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("needs a display"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
}
