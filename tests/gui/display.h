// A display for the GUI tests: the one in DISPLAY, or a private 1920x1080 Xvfb started
// for this test process (Xvfb picks a free display itself with -displayfd, so
// tests that ctest runs side by side never race for one, as xvfb-run -a can).
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace gui_test {

// Why there is no display for the GUI, or "" when there is one.
inline std::string& display_problem() {
  static std::string why;
  return why;
}

// What a shell command printed on stdout (the tests add 2>&1 and "echo exit $?").
inline std::string command_output(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

inline bool have_display() {
  const char* d = std::getenv("DISPLAY");
  return d && *d;
}

class PrivateXvfb : public ::testing::Environment {
 public:
  void SetUp() override {
    if (have_display()) return;
    int fds[2];
    if (pipe(fds) != 0) {
      display_problem() = "no DISPLAY, and no pipe to start Xvfb";
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      if (FILE* null = std::freopen("/dev/null", "w", stderr)) (void)null;
      const std::string fd = std::to_string(fds[1]);
      execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1920x1080x24", "-nolisten", "tcp",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string number;
    pollfd p{fds[0], POLLIN, 0};
    char c = 0;
    while (pid_ > 0 && poll(&p, 1, 15000) == 1 && read(fds[0], &c, 1) == 1 && c != '\n') number += c;
    close(fds[0]);
    if (pid_ < 0 || number.empty()) {
      display_problem() = "no DISPLAY, and Xvfb did not start (install xvfb, or run under xvfb-run)";
      stop();
      return;
    }
    setenv("DISPLAY", (":" + number).c_str(), 1);
  }
  void TearDown() override { stop(); }

 private:
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    unsetenv("DISPLAY");
  }
  pid_t pid_ = -1;
};

inline ::testing::Environment* const kPrivateXvfb = ::testing::AddGlobalTestEnvironment(new PrivateXvfb);

}  // namespace gui_test
