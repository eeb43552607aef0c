// Runs the real copyscope binary and parses what it prints.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command line; what it writes to stdout, and its exit code.
inline CommandResult run_shell(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Captures stdout (stderr dropped), or with `redirect` whatever it arranges.
inline CommandResult run_copyscope(const std::string& args, const std::string& redirect = "2>/dev/null") {
  return run_shell(std::string(COPYSCOPE_BIN) + " " + args + " " + redirect);
}

inline CommandResult run_copyscope_stderr(const std::string& args) { return run_copyscope(args, "2>&1 1>/dev/null"); }

// Live capture needs root; elsewhere the test says why it skipped.
#define REQUIRE_LIVE_CAPTURE()                                                                                        \
  do {                                                                                                                \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs (run as root)";                              \
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) GTEST_SKIP() << "kernel has no BTF at /sys/kernel/btf/vmlinux"; \
  } while (0)

inline nlohmann::json run_json(const std::string& args) {
  CommandResult r = run_copyscope(args + " --json");
  EXPECT_EQ(r.exit_code, 0) << args;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 400);
  return j;
}
