#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "model/format.h"

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

std::string progress_text(const RunProgress& p) {
  using Phase = RunProgress::Phase;
  switch (p.phase) {
    case Phase::Source: {
      const unsigned pct = p.total ? static_cast<unsigned>(p.done * 100 / p.total) : 0;
      return "writing the source file: " + format_bytes(p.done) + " of " + format_bytes(p.total) + " (" +
             std::to_string(pct) + "%)";
    }
    case Phase::Cache:
      return "preparing the page cache (" + format_bytes(p.total) + ")";
    case Phase::Transfer:
      return "transferring " + format_bytes(p.total) + ": " + format_duration(static_cast<double>(p.elapsed_ms) * 1e6) +
             " so far";
    case Phase::Collect:
      return "reading the counters";
  }
  return {};
}

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
  draw(prefix_ + ": " + progress_text(p));
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
