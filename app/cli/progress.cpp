#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace copyscope::cli {

namespace {

constexpr auto kQuietFor = std::chrono::seconds(1);            // short work shows nothing
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);  // a terminal need not redraw more often

size_t terminal_columns() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

ProgressLine::ProgressLine(bool wanted, std::string prefix)
    : enabled_(wanted && isatty(STDERR_FILENO)),
      prefix_(std::move(prefix)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressLine::~ProgressLine() {
  if (enabled_ && width_) {
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
    std::fflush(stderr);
  }
}

void ProgressLine::update(const RunProgress& p) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < kQuietFor || (width_ && now - last_ < kRedrawEvery)) return;
  last_ = now;
  draw(prefix_ + ": " + describe_progress(p));
}

void ProgressLine::draw(const std::string& text) {
  // One line, never wrapped: a wrapped line cannot be redrawn with '\r'.
  std::string line = text.substr(0, terminal_columns() - 1);
  const size_t w = line.size();
  if (w < width_) line.append(width_ - w, ' ');
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
  width_ = w;
}

}  // namespace copyscope::cli
