// The report's pictures as SVG text: the data-path diagram (the GUI's picture,
// drawn from the same DiagramState), the per-method comparison bars and the
// timeline excerpts. Pure functions returning strings; text is set in system
// font families, so a browser draws it sharp at any size and in Chinese.
// Every string that may come from a trace goes through xml_text().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/analysis.h"
#include "model/diagram.h"
#include "model/palette.h"
#include "model/run.h"

namespace copyscope::svg {

// The font stack of every picture and of the HTML report around them.
inline constexpr const char* kFontFamily =
    "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'DejaVu Sans', sans-serif";

// Longest text taken from a trace or a run, in characters: a label, and a
// sentence (a rule, a note, a reason).
inline constexpr size_t kMaxLabel = 80;
inline constexpr size_t kMaxSentence = 1200;

// `s` made safe for XML and HTML text and attribute values: & < > " ' escaped,
// invalid UTF-8 and control characters (other than tab and newline) replaced
// by U+FFFD, cut after `max_chars` characters with "…".
std::string xml_text(std::string_view s, size_t max_chars = kMaxSentence);
// The same bounding without the escaping (for Markdown, which escapes its own way).
std::string bounded_utf8(std::string_view s, size_t max_chars = kMaxSentence);

// An estimate of the drawn width of `s` at font size `size` (no font metrics
// at hand): CJK characters are one em, Latin ones a little over half.
double text_width(std::string_view s, double size);

std::string hex(Rgb c);  // "#rrggbb"

// An inline <svg> element made into a file of its own (XML declaration first).
std::string document(const std::string& svg_element);

// The data-path diagram of a run: user / kernel / hardware bands, the boxes
// of the method's textbook row, its arrows with the bytes the run moved along
// each (ghosted and struck out where the stage did not happen, dashed where
// pages were shared or loopback handed data over in software), and the
// user/kernel boundary with the mode switches of one transfer unit. Labels in
// `lang` (en | zh). `d` is build_diagram() of the finished run.
std::string datapath(const DiagramState& d, const Summary& s, const std::string& lang);
// build_diagram() from the run's stages, then the above. `tb` may be null:
// then the picture says there is no textbook diagram for the method.
std::string datapath(const Run& run, const Summary& s, const TextbookMethod* tb, const std::string& lang);

struct BarSeries {
  std::string name;
  Rgb color;
  std::vector<double> values;                   // one per group
  std::vector<std::optional<double>> textbook;  // drawn as a black tick
};
// Grouped bars (one group per run), each series' textbook figure as a tick.
std::string bar_chart(const std::string& title, const std::vector<std::string>& groups,
                      const std::vector<BarSeries>& series, const std::string& lang);

// The first stretch of the transfer: each thread's syscall spans and the
// disk requests in flight, on one time axis.
std::string timeline(const Run& run, const std::string& lang);

}  // namespace copyscope::svg
