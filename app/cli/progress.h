// A progress line on the terminal for work longer than about a second: the
// phase, bytes written, elapsed time, method n of m. Drawn on stderr with
// '\r' and cleared when done; nothing at all when stderr is not a terminal
// or the output is --json, so pipes and scripts see only the result.
#pragma once

#include <chrono>
#include <string>

#include "launch/runner.h"

namespace copyscope::cli {

class ProgressLine {
 public:
  // `prefix` names the work ("sendfile", "[3/15] sendfile").
  ProgressLine(bool wanted, std::string prefix);
  ~ProgressLine();  // clears the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(const RunProgress& p);
  bool enabled() const { return enabled_; }

 private:
  void draw(const std::string& text);
  bool enabled_;
  std::string prefix_;
  std::chrono::steady_clock::time_point start_, last_;
  size_t width_ = 0;  // of what is on the line now
};

}  // namespace copyscope::cli
