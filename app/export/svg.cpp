#include "export/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <sstream>

#include "model/format.h"
#include "model/lanes.h"
#include "model/stages.h"

namespace copyscope::svg {

namespace {

// The pictures' own ink on white; what they show takes model/palette.h's colours.
constexpr Rgb kInk{30, 30, 30}, kGrid{225, 225, 225}, kMuted{100, 100, 100}, kGhost{200, 190, 186};
constexpr Rgb kBoxEdge{90, 90, 100};
// The GUI's light-theme bands: user, kernel, hardware.
constexpr Rgb kBands[] = {{232, 242, 232}, {236, 236, 248}, {246, 238, 228}};

// One code point from UTF-8, or -1 for an invalid sequence (one byte consumed).
int32_t next_code_point(std::string_view s, size_t& i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  const int n = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
  if (n < 0 || s.size() - i <= static_cast<size_t>(n)) {
    ++i;
    return -1;
  }
  int32_t cp = c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    const unsigned char b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += static_cast<size_t>(n) + 1;
  return cp;
}

void append_utf8(std::string& o, int32_t cp) {
  if (cp < 0x80) {
    o += static_cast<char>(cp);
  } else if (cp < 0x800) {
    o += static_cast<char>(0xC0 | (cp >> 6));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    o += static_cast<char>(0xE0 | (cp >> 12));
    o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    o += static_cast<char>(0xF0 | (cp >> 18));
    o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    o += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string sanitize(std::string_view s, size_t max_chars, bool escape) {
  std::string o;
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    if (chars == max_chars) {
      o += "\u2026";
      break;
    }
    int32_t cp = next_code_point(s, i);
    // XML 1.0 allows neither C0 controls (but tab, newline) nor U+FFFE/U+FFFF;
    // C1 controls are allowed there but draw as nothing useful.
    if (cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp < 0xA0) || cp == 0xFFFE || cp == 0xFFFF)
      cp = 0xFFFD;
    ++chars;
    if (escape) switch (cp) {
        case '&':
          o += "&amp;";
          continue;
        case '<':
          o += "&lt;";
          continue;
        case '>':
          o += "&gt;";
          continue;
        case '"':
          o += "&quot;";
          continue;
        case '\'':
          o += "&#39;";
          continue;
        default:
          break;
      }
    append_utf8(o, cp);
  }
  return o;
}

bool is_wide(int32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

// Elements are written to a body; the root element, whose size is known only
// at the end, wraps it.
class Picture {
 public:
  std::ostringstream body;

  void rect(double x, double y, double w, double h, Rgb fill, const std::string& extra = {}) {
    body << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(std::max(0.0, w)) << "\" height=\""
         << num(std::max(0.0, h)) << "\" fill=\"" << hex(fill) << "\"" << extra << "/>\n";
  }
  void line(double x1, double y1, double x2, double y2, Rgb c, double width, double dash = 0) {
    body << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2) << "\" y2=\"" << num(y2)
         << "\" stroke=\"" << hex(c) << "\" stroke-width=\"" << num(width) << "\"";
    if (dash > 0) body << " stroke-dasharray=\"" << num(dash) << " " << num(dash) << "\"";
    body << "/>\n";
  }
  void polygon(std::initializer_list<std::pair<double, double>> pts, Rgb fill) {
    body << "<polygon points=\"";
    for (const auto& [x, y] : pts) body << num(x) << "," << num(y) << " ";
    body << "\" fill=\"" << hex(fill) << "\"/>\n";
  }
  // `escaped` is already XML text (xml_text); (x, y) is the baseline's start,
  // middle or end by `anchor`.
  void text(double x, double y, const std::string& escaped, double size, Rgb c, const char* anchor = "start",
            bool bold = false, const std::string& extra = {}) {
    body << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(size) << "\" fill=\"" << hex(c)
         << "\"";
    if (std::string_view(anchor) != "start") body << " text-anchor=\"" << anchor << "\"";
    if (bold) body << " font-weight=\"bold\"";
    body << extra << ">" << escaped << "</text>\n";
  }
  std::string finish(double width, double height, const std::string& label) const {
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\" width=\""
      << num(width) << "\" height=\"" << num(height) << "\" font-family=\"" << kFontFamily
      << "\" role=\"img\" aria-label=\"" << label << "\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      << body.str() << "</svg>\n";
    return o.str();
  }
};

// The arrow of the GUI's diagram: a line (dashed when nothing was copied
// along it) ending in a filled head.
void arrow(Picture& p, double ax, double ay, double bx, double by, Rgb c, double th, bool dash, double head) {
  const double len = std::hypot(bx - ax, by - ay);
  if (len < 1) return;
  const double dx = (bx - ax) / len, dy = (by - ay) / len, nx = -dy, ny = dx;
  const double baseX = bx - dx * head, baseY = by - dy * head;
  p.line(ax, ay, baseX, baseY, c, th, dash ? head * 0.6 : 0);
  p.polygon({{bx, by},
             {baseX + nx * head * 0.55, baseY + ny * head * 0.55},
             {baseX - nx * head * 0.55, baseY - ny * head * 0.55}},
            c);
}

// Greedy lines of at most `width` at `size`: Latin breaks at spaces, CJK
// after any character. At most `max_lines`, the last one cut with "…".
std::vector<std::string> wrap(const std::string& text, double width, double size, size_t max_lines = 8) {
  std::vector<std::string> tokens;
  std::string word;
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const int32_t cp = next_code_point(text, i);
    if (cp == ' ' || cp == '\n' || is_wide(cp)) {
      if (!word.empty()) tokens.push_back(word);
      word.clear();
      tokens.push_back(cp == '\n' ? " " : text.substr(at, i - at));
    } else {
      word += text.substr(at, i - at);
    }
  }
  if (!word.empty()) tokens.push_back(word);
  std::vector<std::string> lines(1);
  for (const std::string& t : tokens) {
    if (t == " " && lines.back().empty()) continue;
    if (!lines.back().empty() && text_width(lines.back() + t, size) > width) {
      if (lines.size() == max_lines) {
        lines.back() += "\u2026";
        break;
      }
      lines.emplace_back();
      if (t == " ") continue;
    }
    lines.back() += t;
  }
  return lines;
}

struct BoxGeom {
  double cx, cy, hw, hh;
};

// Where the segment from a's centre towards (tx, ty) leaves a's rectangle.
std::pair<double, double> edge_point(const BoxGeom& a, double tx, double ty) {
  const double dx = tx - a.cx, dy = ty - a.cy;
  double t = 1e9;
  if (std::fabs(dx) > 1e-3) t = std::min(t, a.hw / std::fabs(dx));
  if (std::fabs(dy) > 1e-3) t = std::min(t, a.hh / std::fabs(dy));
  return {a.cx + dx * t, a.cy + dy * t};
}

}  // namespace

std::string xml_text(std::string_view s, size_t max_chars) { return sanitize(s, max_chars, true); }

std::string bounded_utf8(std::string_view s, size_t max_chars) { return sanitize(s, max_chars, false); }

double text_width(std::string_view s, double size) {
  double em = 0;
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = next_code_point(s, i);
    if (is_wide(cp))
      em += 1.0;
    else if (cp == ' ' || cp == 'i' || cp == 'l' || cp == 'j' || cp == '.' || cp == ',' || cp == ':' || cp == ';' ||
             cp == '\'' || cp == '|' || cp == '!' || cp == 'I' || cp == '(' || cp == ')')
      em += 0.3;
    else if (cp == 'm' || cp == 'w' || cp == 'M' || cp == 'W')
      em += 0.86;
    else if (cp >= 'A' && cp <= 'Z')
      em += 0.68;
    else if (cp == 'f' || cp == 't' || cp == 'r')
      em += 0.4;
    else
      em += 0.58;
  }
  return em * size;
}

std::string hex(Rgb c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  return buf;
}

std::string document(const std::string& svg_element) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg_element;
}

std::string datapath(const Run& run, const Summary& s, const TextbookMethod* tb, const std::string& lang) {
  const StageTimeline tl = place_stages(run, s.stages);
  return datapath(build_diagram(run, s, tl, tb, true), s, lang);
}

std::string datapath(const DiagramState& d, const Summary& s, const std::string& lang) {
  auto L = [l = lang_from(lang)](const char* en) { return std::string(tr(l, en)); };
  const double W = 1000, fs = 15, pad = 16;
  Picture p;
  const std::string method = xml_text(s.params.method, kMaxLabel);
  if (!d.method || !d.row) {
    p.text(pad, 30, method, 20, kInk, "start", true);
    p.text(pad, 58, xml_text(L("No textbook diagram for this method.")), fs, kMuted);
    return p.finish(W, 76, method);
  }
  const TextbookMethod& tb = *d.method;
  const TextbookRow& row = *d.row;

  // Title, what was measured, the legend.
  const std::string title = tb.title.in(lang) + (row.title.in(lang).empty() ? "" : " \u2014 " + row.title.in(lang));
  p.text(pad, 28, xml_text(title, kMaxLabel * 2), 20, kInk, "start", true);
  const std::string acc = s.kernel.copy_accounting == "measured" ? L("measured") : L("attributed");
  const std::string sub = L("kernel ") + bounded_utf8(s.kernel.release, kMaxLabel) + " \u00b7 " +
                          L("CPU copies ") + acc + " \u00b7 " + format_bytes(s.bytes) + L(" in ") +
                          format_count(s.units) + L(" transfer units") +
                          (s.partial ? L(" (partial run)") : "");
  p.text(pad, 50, xml_text(sub), 13, kMuted);
  double lx = pad;
  const double ly = 72;
  auto swatch = [&](Rgb c, bool dash, const std::string& text) {
    arrow(p, lx, ly, lx + 34, ly, c, 3.5, dash, 10);
    p.text(lx + 40, ly + 5, xml_text(text), 13, kInk);
    lx += 40 + text_width(text, 13) + 22;
  };
  swatch(palette::kDma, false, L("DMA (device copies)"));
  swatch(palette::kCpuCopy, false, L("CPU copy"));
  swatch(palette::kPageRef, true, L("shared pages / descriptor"));
  swatch(palette::kHandoff, true, L("software hand-off (loopback)"));
  p.polygon({{lx, ly - 6}, {lx + 12, ly - 6}, {lx + 6, ly + 6}}, palette::kModeSwitch);
  p.text(lx + 18, ly + 5, xml_text(L("mode switch")), 13, kInk);

  // The diagram: three bands, boxes placed left to right in the order data reaches them.
  const double oy = 90, dh = 390, band_h = dh / 3;
  const std::string bands[] = {L("User space"), L("Kernel space"), L("Hardware")};
  double label_w = 0;
  for (const auto& b : bands) label_w = std::max(label_w, text_width(b, fs));
  label_w += fs;
  for (int b = 0; b < 3; ++b) {
    const double y0 = oy + band_h * b;
    p.rect(0, y0, W, band_h, kBands[b]);
    p.text(fs * 0.5, y0 + fs * 1.4, xml_text(bands[b]), fs, kInk, "start", true);
  }
  std::map<std::string, int> column;
  std::vector<const DiagramBox*> order;
  auto place = [&](const std::string& id) {
    if (column.count(id)) return;
    for (const auto& b : tb.boxes)
      if (b.id == id) {
        column[id] = static_cast<int>(order.size());
        order.push_back(&b);
      }
  };
  for (const auto& a : row.arrows) {
    place(a.from);
    place(a.to);
  }
  for (const auto& b : tb.boxes) place(b.id);
  const int ncol = std::max<int>(1, static_cast<int>(order.size()));
  const double col_w = (W - label_w) / ncol;
  std::map<std::string, BoxGeom> geom;
  for (const DiagramBox* b : order) {
    const int band = b->band == "user" ? 0 : b->band == "kernel" ? 1 : 2;
    const double cx = label_w + col_w * (column[b->id] + 0.5);
    const double cy = oy + band_h * (band + 0.55);
    const double tw = text_width(d.box_label(*b).in(lang), fs);
    const double hw = std::min(col_w * 0.42, std::max(tw * 0.5 + fs * 0.6, fs * 3.5));
    geom[b->id] = {cx, cy, hw, std::min(band_h * 0.24, fs * 1.5)};
  }

  // The user/kernel boundary; marks for one unit's crossings go around what arrows and labels cover.
  const double by = oy + band_h;
  p.line(0, by, W, by, palette::kModeSwitch, 2, 6);
  const std::string switch_count = L("mode switches: ") + format_count(s.counters.mode_switches) +
                                   L(" (") + format_figure(s.per_call.mode_switches) +
                                   L(" per unit)");
  p.text(fs * 0.5, by - fs * 0.5, xml_text(switch_count), 13, kInk);
  std::vector<std::pair<double, double>> boundary_taken = {{0, fs * 0.5 + text_width(switch_count, 13)}};

  for (const DiagramBox* b : order) {
    const BoxGeom& g = geom[b->id];
    p.rect(g.cx - g.hw, g.cy - g.hh, g.hw * 2, g.hh * 2, {255, 255, 255},
           " rx=\"6\" stroke=\"" + hex(kBoxEdge) + "\" stroke-width=\"1.5\"");
    const std::string label = bounded_utf8(d.box_label(*b).in(lang), kMaxLabel);
    const double full = text_width(label, fs);
    const double size = std::min(fs, fs * (g.hw * 2 - fs * 0.4) / std::max(1.0, full));
    p.text(g.cx, g.cy + size * 0.36, xml_text(label), size, kInk, "middle");
  }

  std::vector<std::string> notes;
  for (size_t i = 0; i < row.arrows.size() && i < d.arrows.size(); ++i) {
    const DiagramArrow& a = row.arrows[i];
    if (!geom.count(a.from) || !geom.count(a.to)) continue;
    const BoxGeom &ga = geom[a.from], &gb = geom[a.to];
    const auto [sx, sy] = edge_point(ga, gb.cx, gb.cy);
    const auto [ex, ey] = edge_point(gb, ga.cx, ga.cy);
    const ArrowTrack& t = d.arrows[i];
    const bool cpu = a.kind == "cpu", dma = a.kind == "dma", signal = a.kind == "signal";
    const bool ghost = !t.happened, software = dma && t.software;
    const Rgb c = ghost      ? kGhost
                  : cpu      ? palette::kCpuCopy
                  : software ? palette::kHandoff
                  : dma      ? palette::kDma
                  : signal   ? palette::kSignal
                             : palette::kPageRef;
    const double th = fs * 0.24;
    arrow(p, sx, sy, ex, ey, c, th, !(cpu || dma || signal) || ghost || software, fs * 0.8);
    const double mx = (sx + ex) * 0.5, my = (sy + ey) * 0.5;
    const std::string label = bounded_utf8(a.label.in(lang), kMaxLabel);
    if (ghost) {  // struck out: the textbook's stage that this run did not perform
      const double k = fs * 0.7;
      p.line(mx - k, my - k, mx + k, my + k, palette::kDiffers, 3);
      p.line(mx - k, my + k, mx + k, my - k, palette::kDiffers, 3);
      notes.push_back(std::to_string(a.step) + ". " + label +
                      L(": did not happen in this run. ") + t.why.in(lang));
    } else if (software && !t.why.empty()) {
      notes.push_back(std::to_string(a.step) + ". " + label + ": " + t.why.in(lang));
    }
    // Label: step number, kind, bytes over the run; beside the arrow, never on it.
    const std::string line1 = std::to_string(a.step) + ". " + (software ? L("hand-off") : label);
    std::string line2 = format_bytes(t.total);
    if (ghost)
      line2 = cpu ? L("no CPU copy") : L("did not happen");
    else if (signal)
      line2 = L("signal sent");
    const double w1 = text_width(line1, fs), w2 = text_width(line2, fs);
    const double lfs = std::min(fs, fs * (col_w * 0.8) / (std::max(w1, w2) + fs * 0.6));
    const double lw = std::max(w1, w2) * lfs / fs + lfs * 0.8, lh = lfs * 2.7;
    double lpx, lpy;
    if (std::fabs(ey - sy) < 1.0) {
      lpx = mx - lw * 0.5;
      lpy = std::min(ga.cy - ga.hh, gb.cy - gb.hh) - lh - fs * 0.2;
    } else {
      // Always on the right, so two arrows meeting at one box label apart:
      // below a line that rises to the right, above one that falls to it.
      const bool below = (ex - sx) * (ey - sy) < 0;
      lpx = mx + fs * 0.4;
      lpy = below ? my + fs * 0.2 : my - lh - fs * 0.2;
    }
    if (lpy < by + fs * 0.8 && lpy + lh > by - fs * 1.2) boundary_taken.push_back({lpx, lpx + lw});
    if ((sy - by) * (ey - by) < 0) {
      const double cx = sx + (by - sy) / (ey - sy) * (ex - sx);
      boundary_taken.push_back({cx - th * 2, cx + th * 2});
    }
    p.rect(lpx, lpy, lw, lh, {255, 255, 255},
           " fill-opacity=\"0.93\" rx=\"4\" stroke=\"" + hex(ghost ? kGhost : Rgb{150, 150, 160}) + "\"");
    const Rgb ink = ghost ? kMuted : kInk;
    p.text(lpx + lfs * 0.4, lpy + lfs * 1.15, xml_text(line1), lfs, ink);
    p.text(lpx + lfs * 0.4, lpy + lfs * 2.35, xml_text(line2), lfs, ink, "start", !ghost);
  }

  if (s.counters.mode_switches > 0) {
    // One transfer unit's crossings, numbered as the articles count them
    // (1..4 for read + write): odd = into the kernel (down), even = back (up).
    const size_t per_unit = std::max<size_t>(static_cast<size_t>(row.expect.mode_switches.value_or(4.0)), 1);
    const double x0 = std::max(label_w, text_width(switch_count, 13) + fs) + fs * 1.5, x1 = W - fs * 2;
    const double tri = fs * 0.45, gap = fs * 0.3;
    for (size_t k = 0; k < per_unit; ++k) {
      const std::string n = std::to_string(k + 1);
      const double left = tri, right = tri * 1.3 + text_width(n, 13);
      double x = per_unit > 1 ? x0 + (x1 - x0) * static_cast<double>(k) / static_cast<double>(per_unit - 1) : x1;
      for (int tries = 0; tries < 8; ++tries) {
        auto hit = std::find_if(boundary_taken.begin(), boundary_taken.end(),
                                [&](const auto& t) { return x - left < t.second + gap && x + right > t.first - gap; });
        if (hit == boundary_taken.end()) break;
        x = hit->second + gap + left <= x1 ? hit->second + gap + left : hit->first - gap - right;
      }
      boundary_taken.push_back({x - left, x + right});
      if (k % 2 == 0)
        p.polygon({{x - tri, by - tri}, {x + tri, by - tri}, {x, by + tri}}, palette::kModeSwitch);
      else
        p.polygon({{x - tri, by + tri}, {x + tri, by + tri}, {x, by - tri}}, palette::kModeSwitch);
      p.text(x + tri * 1.3, by - fs * 0.3, n, 13, kInk);
    }
  }

  // Below: per transfer unit, textbook against measured, then why stages differ.
  double y = oy + dh + 28;
  {
    struct Figure {
      std::string name;
      std::optional<double> textbook;
      double measured;
    };
    const Figure figures[] = {{L("mode switches"), s.textbook.mode_switches, s.per_call.mode_switches},
                              {L("CPU copies"), s.textbook.cpu_copies, s.per_call.cpu_copies},
                              {L("DMA copies"), s.textbook.dma_copies, s.per_call.dma_copies}};
    const std::string head = L("Per transfer unit, textbook \u2192 measured:");
    p.text(pad, y, xml_text(head), 14, kInk, "start", true);
    double x = pad + text_width(head, 14) + 14;
    for (const Figure& f : figures) {
      const std::string t =
          f.name + " " + (f.textbook ? format_figure(*f.textbook) : "-") + " \u2192 " + format_figure(f.measured);
      p.text(x, y, xml_text(t), 14, kInk);
      x += text_width(t, 14) + 6;
      if (f.textbook) {
        const bool ok = std::llround(f.measured) == std::llround(*f.textbook);
        p.text(x, y, ok ? "\u2713" : "\u2717", 15, ok ? palette::kMatches : palette::kDiffers, "start", true);
      }
      x += 28;
    }
  }
  y += 8;
  for (size_t i = 0; i < notes.size() && i < 12; ++i)
    for (const std::string& line : wrap(bounded_utf8(notes[i]), W - 2 * pad, 13, 4)) {
      y += 19;
      p.text(pad, y, xml_text(line), 13, kMuted);
    }
  return p.finish(W, y + 14, xml_text(L("data path of ") + s.params.method, kMaxLabel));
}

std::string bar_chart(const std::string& title, const std::vector<std::string>& groups,
                      const std::vector<BarSeries>& series, const std::string& lang) {
  const std::string textbook = tr(lang_from(lang), "textbook");
  const double left = 64, right = 24, top = 56, plot_h = 280, fs = 13;
  const size_t n = std::max<size_t>(1, groups.size()), ns = std::max<size_t>(1, series.size());
  const double slot = std::clamp((1100 - left - right) / static_cast<double>(n), 64.0, 170.0);
  const double bar_w = std::min(40.0, (slot * 0.72) / static_cast<double>(ns) - 4);
  const double group_w = static_cast<double>(ns) * (bar_w + 4) - 4;
  double legend_w = left + text_width(textbook, fs) + 60;
  for (const BarSeries& s : series) legend_w += text_width(s.name, fs) + 46;
  const double width = std::max({left + static_cast<double>(n) * slot + right, legend_w, 540.0});
  const double x_start = left + (width - left - right - static_cast<double>(n) * slot) / 2;
  double name_w = 0;
  std::vector<std::string> names;
  for (const std::string& g : groups) {
    names.push_back(bounded_utf8(g, 40));
    name_w = std::max(name_w, text_width(names.back(), fs));
  }
  const bool slanted = name_w > slot - 8;  // many runs: names at an angle under their bars
  const double names_h = slanted ? name_w * 0.5 + fs + 10 : fs + 14;
  const double y0 = top + plot_h, height = y0 + names_h + 44;
  Picture p;
  p.text(16, 30, xml_text(title), 18, kInk, "start", true);
  double vmax = 1;
  for (const BarSeries& s : series) {
    for (double v : s.values) vmax = std::max(vmax, std::isfinite(v) ? v : 0.0);
    for (const auto& t : s.textbook)
      if (t && std::isfinite(*t)) vmax = std::max(vmax, *t);
  }
  // Round the axis up to 1, 2 or 5 times a power of ten.
  const double mag = std::pow(10.0, std::floor(std::log10(vmax)));
  double top_v = mag * 10;
  int ticks = 4;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= vmax) {
      top_v = m * mag;
      ticks = m == 5.0 ? 5 : 4;
      break;
    }
  auto ypos = [&](double v) { return y0 - std::clamp(v, 0.0, top_v) / top_v * plot_h; };
  for (int i = 0; i <= ticks; ++i) {
    const double v = top_v * i / ticks;
    p.line(left, ypos(v), width - right, ypos(v), kGrid, 1);
    p.text(left - 8, ypos(v) + 4, format_figure(v, 3), 12, kMuted, "end");
  }
  p.line(left, top - 5, left, y0, kInk, 1.5);
  p.line(left, y0, width - right, y0, kInk, 1.5);
  for (size_t g = 0; g < groups.size(); ++g) {
    const double gx = x_start + static_cast<double>(g) * slot + (slot - group_w) / 2;
    for (size_t k = 0; k < series.size(); ++k) {
      const BarSeries& s = series[k];
      const double x = gx + static_cast<double>(k) * (bar_w + 4);
      const double v = g < s.values.size() && std::isfinite(s.values[g]) ? s.values[g] : 0;
      p.rect(x, ypos(v), bar_w, y0 - ypos(v), s.color);
      // The figure just above its bar, or above the textbook's tick when that would cover it.
      double label_y = ypos(v) - 5;
      if (g < s.textbook.size() && s.textbook[g]) {
        const double tick = ypos(*s.textbook[g]);
        p.rect(x - 3, tick - 2, bar_w + 6, 4, kInk);
        if (tick <= ypos(v) + 2 && tick > label_y - 14) label_y = tick - 6;
      }
      p.text(x + bar_w / 2, label_y, format_figure(v, 1), 11, kInk, "middle");
    }
    const double cx = gx + group_w / 2;
    const std::string name = xml_text(names[g]);
    if (slanted)
      p.text(cx + 4, y0 + 16, name, fs, kInk, "end", false,
             " transform=\"rotate(-30 " + num(cx + 4) + " " + num(y0 + 16) + ")\"");
    else
      p.text(cx, y0 + 20, name, fs, kInk, "middle");
  }
  double lx = left;
  const double ly = y0 + names_h + 14;
  for (const BarSeries& s : series) {
    p.rect(lx, ly, 16, 16, s.color);
    p.text(lx + 22, ly + 13, xml_text(s.name), fs, kInk);
    lx += 22 + text_width(s.name, fs) + 24;
  }
  p.rect(lx, ly + 6, 22, 4, kInk);
  p.text(lx + 28, ly + 13, xml_text(textbook), fs, kInk);
  return p.finish(width, height, xml_text(title));
}

namespace {

// Colours by order of first use, so the few syscalls of one excerpt never share one.
Rgb syscall_color(unsigned sys, std::map<unsigned, size_t>& order) {
  auto it = order.emplace(sys, order.size()).first;
  return palette::kSyscalls[it->second % std::size(palette::kSyscalls)];
}

}  // namespace

std::string timeline(const Run& run, const std::string& lang) {
  auto L = [l = lang_from(lang)](const char* en) { return std::string(tr(l, en)); };
  // A trace decides how many threads and requests there are: the picture shows a bounded few.
  constexpr size_t kMaxSpans = 60, kMaxPlaced = 4000;
  constexpr int kMaxThreadLanes = 24, kMaxDiskLanes = 8;
  std::vector<const Event*> spans;
  for (const Event& e : run.events)
    if (e.type == CS_EV_SYSCALL || e.type == CS_EV_BLOCK) spans.push_back(&e);
  std::sort(spans.begin(), spans.end(), [](const Event* a, const Event* b) { return a->ts < b->ts; });
  uint64_t t0 = 0, t1 = 1;
  if (!spans.empty()) {
    t0 = spans.front()->ts;
    const size_t last = std::min(spans.size(), kMaxSpans) - 1;
    t1 = t0 + 1;
    for (size_t i = 0; i <= last; ++i) t1 = std::max<uint64_t>(t1, spans[i]->ts + std::max<uint64_t>(spans[i]->dur, 1));
  }
  // Lanes: threads (sender first), then disk lanes.
  std::map<std::pair<uint8_t, uint32_t>, int> thread_lane;
  for (const Event* e : spans)
    if (e->type == CS_EV_SYSCALL && e->ts < t1 && thread_lane.size() < kMaxThreadLanes)
      thread_lane.emplace(std::make_pair(e->role, e->tid), 0);
  int n = 0;
  for (auto& [k, lane] : thread_lane) lane = n++;
  LaneAllocator disk;
  std::vector<std::pair<const Event*, int>> placed;
  for (const Event* e : spans) {
    if (e->ts >= t1 || placed.size() == kMaxPlaced) break;
    if (e->type == CS_EV_SYSCALL) {
      auto it = thread_lane.find({e->role, e->tid});
      if (it != thread_lane.end()) placed.push_back({e, it->second});
    } else {
      const size_t lane = disk.place(e->ts, e->ts + e->dur);
      if (lane < kMaxDiskLanes) placed.push_back({e, n + static_cast<int>(lane)});
    }
  }
  const int disk_lanes = static_cast<int>(std::min<size_t>(disk.count(), kMaxDiskLanes));
  const int lanes = std::max(1, n + disk_lanes);
  const double left = 170, top = 52, lane_h = 28, width = 1100, right = 40, fs = 13;
  const double axis_y = top + lanes * lane_h;
  Picture p;
  const std::string shown = format_duration(static_cast<double>(t1 - t0));
  p.text(16, 30,
         xml_text(L("Timeline excerpt: ") + bounded_utf8(run.params.method, kMaxLabel) +
                  L(" (first ") + shown + L(")")),
         18, kInk, "start", true);
  const double scale = (width - left - right) / static_cast<double>(t1 - t0);
  auto xpos = [&](uint64_t ts) { return left + static_cast<double>(ts - t0) * scale; };
  // Each lane's name after a mark in its role's colour, as in the window's timeline.
  auto lane_label = [&](int lane, Rgb mark, const std::string& label) {
    p.rect(10, top + lane * lane_h + 7, 5, lane_h - 14, mark);
    p.text(22, top + lane * lane_h + lane_h * 0.5 + 4.5, xml_text(label), fs, kInk);
  };
  for (auto& [k, lane] : thread_lane) {
    const bool sink = k.first == CS_ROLE_RECEIVER;
    lane_label(
        lane, sink ? palette::kReceiver : palette::kSender,
        (sink ? L("receiver") : L("sender")) + L(" thread ") + std::to_string(k.second));
  }
  for (int l = 0; l < disk_lanes; ++l)
    lane_label(n + l, palette::kBlockIo, L("disk I/O ") + std::to_string(l + 1));
  for (int l = 0; l <= lanes; ++l) p.line(left, top + l * lane_h, width - right, top + l * lane_h, kGrid, 1);
  std::map<unsigned, bool> used;
  std::map<unsigned, size_t> order;
  for (const auto& [e, lane] : placed) {
    const double x0 = xpos(e->ts), x1 = std::max(x0 + 1.5, xpos(std::min<uint64_t>(e->ts + e->dur, t1)));
    const Rgb c = e->type == CS_EV_BLOCK ? palette::kBlockIo : syscall_color(e->sys, order);
    if (e->type == CS_EV_SYSCALL) used[e->sys] = true;
    p.rect(x0, top + lane * lane_h + 5, x1 - x0, lane_h - 10, c);
  }
  p.line(left, axis_y, width - right, axis_y, kInk, 1.5);
  for (int i = 0; i <= 5; ++i) {
    const double x = left + (width - left - right) * i / 5.0;
    p.line(x, axis_y, x, axis_y + 6, kInk, 1.5);
    p.text(x, axis_y + 22, xml_text(format_duration(static_cast<double>(t1 - t0) * i / 5.0)), 12, kMuted, "middle");
  }
  double lx = left, ly = axis_y + 40;
  auto legend = [&](Rgb c, const std::string& text) {
    const double w = 22 + text_width(text, fs) + 24;
    if (lx + w > width - right && lx > left) {
      lx = left;
      ly += 24;
    }
    p.rect(lx, ly, 16, 16, c);
    p.text(lx + 22, ly + 13, xml_text(text), fs, kInk);
    lx += w;
  };
  for (const auto& [sys, _] : used) legend(syscall_color(sys, order), syscall_name(sys));
  legend(palette::kBlockIo, L("block I/O (disk DMA)"));
  return p.finish(width, ly + 30, xml_text(L("timeline excerpt of ") + run.params.method, kMaxLabel));
}

}  // namespace copyscope::svg
