// Live plots: CPU-copy vs DMA bytes, mode switches/s, context switches/s, page
// faults/s and throughput over the transfer phase, up to the cursor, with axes
// in units (model/plot_axis.h), the phase shaded, as per-interval bars or
// smoothed. ImGui has no plotting widget in Debian's package: ImDrawList.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "model/format.h"
#include "model/plot_axis.h"
#include "ui/app.h"
#include "ui/draw.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

struct Series {
  const std::vector<double>* v;
  Rgb color;
  const char* name;  // catalogue msgid; "" for a chart's only series
};

enum class Axis { Rate, PerSecond };
enum class Style { Bars, Smoothed };

// Where the plots are in time: the bins' range, with a margin on both sides
// when the scenario marked its phase, so the shaded phase shows its edges.
struct TimeRange {
  double lo = 0, hi = 1;        // ns, relative to the bins' start
  double phase0 = 0, phase1 = 0;  // the shaded phase, same origin
  bool shaded = false;
};

// One chart: a title with its unit, a legend, a y axis with round ticks in the
// unit that suits the values, a time axis from the phase's start, the phase
// shaded, and the series as per-interval bars or smoothed lines up to the cursor.
void chart(const UiPrefs& p, const char* title, Axis axis, const std::vector<Series>& series, const Bins& b,
           size_t upto, double per_s, const TimeRange& tr_, Style style, ImVec2 size, bool light) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fs = ImGui::GetFontSize();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + size.y),
                    light ? IM_COL32(255, 255, 255, 255) : IM_COL32(28, 30, 36, 255), 4);
  dl->AddRect(o, ImVec2(o.x + size.x, o.y + size.y), ImGui::GetColorU32(ImGuiCol_Border), 4);
  dl->PushClipRect(o, ImVec2(o.x + size.x, o.y + size.y), true);
  dl->AddText(ImVec2(o.x + fs * 0.4f, o.y + fs * 0.2f), text, title);

  // What is drawn: per second, smoothed or not.
  std::vector<std::vector<double>> data;
  double maxv = 0;
  for (const Series& s : series) {
    std::vector<double> v(*s.v);
    for (double& x : v) x *= per_s;
    if (style == Style::Smoothed) v = moving_average(v, 5);
    for (size_t i = 0; i < std::min(upto, v.size()); ++i) maxv = std::max(maxv, v[i]);
    data.push_back(std::move(v));
  }
  // Peak, top right (of what is drawn).
  const std::string peak = trf(p, "peak %s", axis == Axis::Rate ? format_rate(maxv) : format_per_second(maxv));
  const float pw = ImGui::CalcTextSize(peak.c_str()).x;
  dl->AddText(ImVec2(o.x + size.x - pw - fs * 0.4f, o.y + fs * 0.2f), dim, peak.c_str());
  float top = o.y + fs * 1.5f;
  if (series.size() > 1) {  // legend under the title
    float lx = o.x + fs * 0.4f;
    for (const Series& s : series) {
      const char* name = tr(p, s.name);
      dl->AddRectFilled(ImVec2(lx, top + fs * 0.3f), ImVec2(lx + fs * 0.8f, top + fs * 0.8f), col(s.color));
      dl->AddText(ImVec2(lx + fs, top), text, name);
      lx += fs * 1.6f + ImGui::CalcTextSize(name).x;
    }
    top += fs * 1.3f;
  }
  top += fs * 0.4f;
  const float plot_bottom = o.y + size.y - fs * 1.4f;
  // As many ticks as the height has room for, a line of text apart.
  const int room = std::clamp(static_cast<int>((plot_bottom - top) / (fs * 1.3f)), 1, 4);
  const std::vector<Tick> yt = axis == Axis::Rate ? rate_ticks(maxv, room) : per_second_ticks(maxv, room);
  const double top_v = yt.back().value;
  float gutter = 0;
  for (const Tick& t : yt) gutter = std::max(gutter, ImGui::CalcTextSize(t.label.c_str()).x);
  const float left = o.x + gutter + fs * 0.7f, right = o.x + size.x - fs * 0.6f;
  const float bottom = plot_bottom;
  if (bottom - top < fs) {
    dl->PopClipRect();
    return;
  }
  auto X = [&](double t) { return left + static_cast<float>((t - tr_.lo) / (tr_.hi - tr_.lo)) * (right - left); };
  auto Y = [&](double v) { return bottom - static_cast<float>(std::min(v, top_v) / top_v) * (bottom - top); };
  if (tr_.shaded)
    dl->AddRectFilled(ImVec2(X(tr_.phase0), top), ImVec2(X(tr_.phase1), bottom), col(palette::kPhase, light ? 28 : 40));
  // Y grid and labels.
  for (const Tick& t : yt) {
    const float y = Y(t.value);
    dl->AddLine(ImVec2(left, y), ImVec2(right, y), light ? IM_COL32(0, 0, 0, 28) : IM_COL32(255, 255, 255, 28));
    const float w = ImGui::CalcTextSize(t.label.c_str()).x;
    dl->AddText(ImVec2(left - w - fs * 0.3f, y - fs * 0.5f), dim, t.label.c_str());
  }
  // Time axis: from the phase's start.
  dl->AddLine(ImVec2(left, bottom), ImVec2(right, bottom), dim);
  float label_end = -1e9f;
  for (const Tick& t : time_ticks(tr_.phase1 - tr_.phase0, std::max(2, static_cast<int>((right - left) / (fs * 6))))) {
    const float x = X(tr_.phase0 + t.value);
    dl->AddLine(ImVec2(x, bottom), ImVec2(x, bottom + fs * 0.25f), dim);
    const float w = ImGui::CalcTextSize(t.label.c_str()).x;
    const float lx = std::clamp(x - w * 0.5f, left, right - w);
    if (lx > label_end + fs * 0.5f) {
      dl->AddText(ImVec2(lx, bottom + fs * 0.2f), dim, t.label.c_str());
      label_end = lx + w;
    }
  }
  // The series.
  const size_t n = b.size();
  const double bw = static_cast<double>(b.width);
  for (size_t k = 0; k < series.size(); ++k) {
    const std::vector<double>& v = data[k];
    const ImU32 c = col(series[k].color);
    const size_t m = std::min(upto, n);
    if (style == Style::Bars && series.size() == 1) {
      for (size_t i = 0; i < m; ++i)
        if (v[i] > 0)
          dl->AddRectFilled(ImVec2(X(bw * i), Y(v[i])), ImVec2(std::max(X(bw * (i + 1)) - 1, X(bw * i) + 1), bottom),
                            c);
    } else if (style == Style::Bars) {  // several series: steps, one level per interval
      std::vector<ImVec2> pts;
      for (size_t i = 0; i < m; ++i) {
        pts.push_back(ImVec2(X(bw * i), Y(v[i])));
        pts.push_back(ImVec2(X(bw * (i + 1)), Y(v[i])));
      }
      if (pts.size() >= 2) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), c, 0, 2.0f);
    } else {
      std::vector<ImVec2> pts;
      for (size_t i = 0; i < m; ++i) pts.push_back(ImVec2(X(bw * (i + 0.5)), Y(v[i])));
      if (pts.size() >= 2)
        dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), c, 0, 2.5f);
      else if (pts.size() == 1)
        dl->AddCircleFilled(pts[0], 3, c);
    }
  }
  dl->PopClipRect();
}

}  // namespace

void draw_plots_panel(App& app) {
  static Style style = Style::Bars;
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Live plots"));
  ImGui::PopFont();
  if (!r) {
    text_wrapped("%s", tr(p, "Run a scenario or open a recording to see its plots."));
    return;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%s", r->label.c_str());
  const Bins& b = r->view.bins;
  const size_t upto = r->cursor <= b.t0 ? 0 : std::min(b.size(), static_cast<size_t>((r->cursor - b.t0) / b.width) + 1);
  const double per_s = 1e9 / static_cast<double>(b.width);
  // How to draw: each interval as it was, or a moving mean where spikes hide the shape.
  int st = style == Style::Bars ? 0 : 1;
  ImGui::RadioButton(trf(p, "per interval (each %s)", format_duration(static_cast<double>(b.width))).c_str(), &st, 0);
  ImGui::SameLine();
  ImGui::RadioButton(tr(p, "smoothed (mean of 5 intervals)"), &st, 1);
  style = st == 0 ? Style::Bars : Style::Smoothed;
  if (r->view.phase_marked) {
    ImGui::SameLine();
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float fs = ImGui::GetFontSize();
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(at.x, at.y + fs * 0.2f), ImVec2(at.x + fs, at.y + fs * 0.9f),
                                              col(palette::kPhase, 70));
    ImGui::Dummy(ImVec2(fs * 1.2f, fs));
    ImGui::SameLine();
    ImGui::TextDisabled("%s", tr(p, "shaded: the transfer phase"));
  }
  TimeRange range;
  const double span = static_cast<double>(b.width) * static_cast<double>(std::max<size_t>(b.size(), 1));
  range.phase0 = 0;
  range.phase1 = std::max(1.0, static_cast<double>(r->view.t1 - r->view.t0));
  range.shaded = r->view.phase_marked;
  const double pad = range.shaded ? span * 0.03 : 0;
  range.lo = -pad;
  range.hi = std::max(span, range.phase1) + pad;
  const bool light = light_theme(app);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 big(avail.x, (avail.y - gap * 2) * 0.4f);
  const ImVec2 small((avail.x - gap) * 0.5f, (avail.y - gap * 2) * 0.3f - gap);
  chart(p, tr(p, "Bytes moved per second: CPU copies vs DMA"), Axis::Rate,
        {{&b.cpu_bytes, palette::kCpuCopy, N_("CPU copy")},
         {&b.dma_bytes, palette::kDma, N_("DMA (disk + NIC)")},
         {&b.payload_bytes, palette::kDelivered, N_("throughput (to the sink)")}},
        b, upto, per_s, range, style, big, light);
  chart(p, tr(p, "Mode switches per second"), Axis::PerSecond, {{&b.mode_switches, palette::kModeSwitch, ""}}, b,
        upto, per_s, range, style, small, light);
  ImGui::SameLine();
  chart(p, tr(p, "Context switches per second"), Axis::PerSecond, {{&b.ctx_switches, palette::kContextSwitch, ""}}, b,
        upto, per_s, range, style, small, light);
  chart(p, tr(p, "Page faults per second"), Axis::PerSecond, {{&b.faults, palette::kPageFault, ""}}, b, upto, per_s,
        range, style, small, light);
  ImGui::SameLine();
  chart(p, tr(p, "Throughput (bytes per second to the sink)"), Axis::Rate,
        {{&b.payload_bytes, palette::kDelivered, ""}}, b, upto, per_s, range, style, small, light);
}

}  // namespace copyscope::ui
