// Long work shows progress on a terminal and nothing when piped or --json.
// `script` gives copyscope a terminal (a pty) and keeps what it drew.
#include <cstdlib>

#include "support.h"

namespace {

bool have_script() { return system("command -v script >/dev/null 2>&1") == 0; }

// copyscope ARGS on a pseudo-terminal; what it drew there, stdout and stderr together.
CommandResult run_on_terminal(const std::string& args) {
  return run_shell(std::string("script -qec '") + COPYSCOPE_BIN + " " + args + "' /dev/null");
}

}  // namespace

TEST(Progress, ATerminalSeesThePhasesOfALongRun) {
  REQUIRE_LIVE_CAPTURE();
  if (!have_script()) GTEST_SKIP() << "script (bsdutils) is not installed";
  // 2 GiB warm: writing the source file alone takes well over a second.
  const CommandResult r = run_on_terminal("run read_write --size 2G --buffer 1M --cache warm --sink null");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("read_write: writing the source file: "), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find(" of 2.0 GiB ("), std::string::npos);
  EXPECT_NE(r.out.find("read_write: preparing the page cache"), std::string::npos);
  // The line is drawn with '\r' and cleared before the result is printed.
  EXPECT_NE(r.out.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("read_write: 2.0 GiB in "), std::string::npos);
}

TEST(Progress, PipesAndJsonSeeNone) {
  REQUIRE_LIVE_CAPTURE();
  for (const char* extra : {"", " --json"}) {
    SCOPED_TRACE(extra);
    CommandResult r =
        run_copyscope_stderr(std::string("run read_write --size 2G --buffer 1M --cache warm --sink null") + extra);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("writing the source file"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  }
  if (!have_script()) return;
  // --json on a terminal: still no progress, the JSON alone.
  const CommandResult r = run_on_terminal("run read_write --size 2G --buffer 1M --cache warm --sink null --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("writing the source file"), std::string::npos);
}
