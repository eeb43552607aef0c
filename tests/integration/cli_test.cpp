// The CLI contract that needs no privileges: usage errors and listings.
#include <algorithm>
#include <utility>

#include "support.h"

TEST(Cli, ListJsonNamesTheSpineMethods) {
  CommandResult r = run_copyscope("list --json");
  ASSERT_EQ(r.exit_code, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  bool rw = false, sf = false;
  for (const auto& m : j) {
    EXPECT_FALSE(m["description"].get<std::string>().empty()) << m["name"];
    rw |= m["name"] == "read_write";
    sf |= m["name"] == "sendfile";
  }
  EXPECT_TRUE(rw && sf);
}

// Exit 2 and one line from copyscope that names what was wrong, CLI11's
// parse errors included (they once added a second line).
TEST(Cli, BadInputIsOneLineAndExitTwo) {
  const std::pair<const char*, const char*> bad[] = {
      {"run no_such_method", "no_such_method"},
      {"run read_write --size 0", "--size"},
      {"run read_write --size -5M", "-5M"},
      {"run read_write --size abc", "abc"},
      {"run read_write --size 3P", "--size"},
      {"run read_write --buffer 0", "--buffer"},
      {"run read_write --cache lukewarm", "lukewarm"},
      {"run read_write --sink carrier-pigeon", "carrier-pigeon"},
      {"frobnicate", "frobnicate"},
      {"compare read_write nope", "nope"},
      {"run read_write --timeout 0", "--timeout"},
      {"run read_write --size 99999999999999999999", "99999999999999999999"},
  };
  for (const auto& [args, culprit] : bad) {
    CommandResult r = run_copyscope_stderr(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    const std::string first = r.out.substr(0, r.out.find('\n'));
    EXPECT_NE(first.find(culprit), std::string::npos) << args << ": " << r.out;
    EXPECT_EQ(r.out.rfind("copyscope: ", 0), 0u) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": one line: " << r.out;
  }
}

TEST(Cli, HelpHasExamples) {
  CommandResult r = run_copyscope("run --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("EXAMPLES"), std::string::npos);
}
