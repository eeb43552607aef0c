// The CLI contract that needs no privileges: usage errors and listings.
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

TEST(Cli, BadInputIsOneLineAndExitTwo) {
  const char* bad[] = {
      "run no_such_method",        "run read_write --size 0",      "run read_write --size -5M",
      "run read_write --size abc", "run read_write --size 3P",     "run read_write --buffer 0",
      "run read_write --cache lukewarm", "run read_write --sink carrier-pigeon",
      "frobnicate",                "compare read_write nope",
  };
  for (const char* args : bad) {
    CommandResult r = run_copyscope_stderr(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_FALSE(r.out.empty()) << args;
  }
}

TEST(Cli, HelpHasExamples) {
  CommandResult r = run_copyscope("run --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("EXAMPLES"), std::string::npos);
}
