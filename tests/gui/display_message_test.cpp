// When the window cannot open, copyscope says why in one line and what to
// run instead, and exits 2; it never falls back to a headless run unasked.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "../integration/support.h"

namespace {

struct Result {
  int exit_code = -1;
  std::string err;
};

// `prefix` sets the environment (and may wrap the command); stderr is kept, stdout dropped.
Result run(const std::string& prefix, const std::string& args) {
  const CommandResult r = run_shell(prefix + " " + COPYSCOPE_BIN + " " + args + " 2>&1 1>/dev/null");
  return {r.exit_code, r.out};
}

void expect_one_line(const Result& r, const char* must_say) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_EQ(r.err.rfind("copyscope: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(must_say), std::string::npos) << r.err;
}

TEST(DisplayMessage, NoDisplaySaysWhatToRunInstead) {
  for (const char* args : {"", "gui"}) {
    SCOPED_TRACE(std::string("copyscope ") + args);
    const Result r = run("env -u DISPLAY -u WAYLAND_DISPLAY", args);
    expect_one_line(r, "no display");
    EXPECT_NE(r.err.find("compare --all"), std::string::npos) << r.err;
  }
}

TEST(DisplayMessage, NoServerOnTheDisplay) {
  // A display number no server uses: its socket does not exist.
  std::string d = ":9731";
  if (access("/tmp/.X11-unix/X9731", F_OK) == 0) GTEST_SKIP() << "an X server runs on :9731";
  expect_one_line(run("env -u WAYLAND_DISPLAY DISPLAY=" + d, "gui"), "no X server on DISPLAY=:9731");
}

TEST(DisplayMessage, RootWithoutXAuthoritySaysSo) {
  if (geteuid() != 0) GTEST_SKIP() << "the message is for root; this test runs as uid " << geteuid();
  if (system("command -v xvfb-run >/dev/null 2>&1") != 0) GTEST_SKIP() << "xvfb-run is not installed (xvfb)";
  // xvfb-run starts a server that checks authority; this client has none.
  const Result r = run("xvfb-run -a env -u WAYLAND_DISPLAY XAUTHORITY=/nonexistent", "gui");
  expect_one_line(r, "as root");
  EXPECT_NE(r.err.find("XAUTHORITY"), std::string::npos) << r.err;
}

}  // namespace
