// Live plots: CPU-copy vs DMA bytes, mode switches/s, context switches/s, page
// faults/s and throughput over the transfer phase, up to the cursor. ImGui has
// no plotting widget in Debian's package, so these are drawn with ImDrawList.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "model/format.h"
#include "ui/app.h"
#include "ui/draw.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

struct Series {
  const std::vector<double>* v;
  Rgb color;
  const char* name;
};

using Format = std::function<std::string(double)>;

// One chart: series as lines over bins [0, upto), values scaled by `scale`
// (per bin to per second); `format` writes the largest one in the corner.
void chart(const char* title, const Format& format, const std::vector<Series>& series, size_t upto, double scale,
           ImVec2 size, bool light) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fs = ImGui::GetFontSize();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + size.y),
                    light ? IM_COL32(255, 255, 255, 255) : IM_COL32(28, 30, 36, 255), 4);
  dl->AddRect(o, ImVec2(o.x + size.x, o.y + size.y), ImGui::GetColorU32(ImGuiCol_Border), 4);
  dl->AddText(ImVec2(o.x + fs * 0.4f, o.y + fs * 0.2f), ImGui::GetColorU32(ImGuiCol_Text), title);
  double maxv = 0;
  for (const Series& s : series)
    for (double x : *s.v) maxv = std::max(maxv, x * scale);
  const std::string peak = "max " + format(maxv);
  const ImVec2 bs = ImGui::CalcTextSize(peak.c_str());
  dl->AddText(ImVec2(o.x + size.x - bs.x - fs * 0.4f, o.y + fs * 0.2f), ImGui::GetColorU32(ImGuiCol_TextDisabled),
              peak.c_str());
  // Legend under the title.
  float lx = o.x + fs * 0.4f;
  const float ly = o.y + fs * 1.4f;
  if (series.size() > 1)
    for (const Series& s : series) {
      dl->AddRectFilled(ImVec2(lx, ly + fs * 0.3f), ImVec2(lx + fs * 0.8f, ly + fs * 0.8f), col(s.color));
      dl->AddText(ImVec2(lx + fs, ly), ImGui::GetColorU32(ImGuiCol_Text), s.name);
      lx += fs * 1.6f + ImGui::CalcTextSize(s.name).x;
    }
  const float top = o.y + fs * (series.size() > 1 ? 2.8f : 1.6f), bottom = o.y + size.y - fs * 0.4f;
  const float left = o.x + fs * 0.4f, right = o.x + size.x - fs * 0.4f;
  if (maxv <= 0 || series.empty() || series[0].v->empty()) {
    dl->AddText(ImVec2(left, (top + bottom) * 0.5f - fs * 0.5f), ImGui::GetColorU32(ImGuiCol_TextDisabled), "0");
    return;
  }
  const size_t n = series[0].v->size();
  for (const Series& s : series) {
    std::vector<ImVec2> pts;
    for (size_t i = 0; i < std::min(upto, n); ++i) {
      const float x = left + (right - left) * (static_cast<float>(i) + 0.5f) / static_cast<float>(n);
      const float y = bottom - (bottom - top) * static_cast<float>((*s.v)[i] * scale / maxv);
      pts.push_back(ImVec2(x, y));
    }
    if (pts.size() >= 2)
      dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), col(s.color), 0, 2.5f);
    else if (pts.size() == 1)
      dl->AddCircleFilled(pts[0], 3, col(s.color));
  }
}

}  // namespace

void draw_plots_panel(App& app) {
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Live plots"));
  ImGui::PopFont();
  if (!r) {
    text_wrapped(
        "%s", tr(p, "Run a scenario or open a recording to see its plots."));
    return;
  }
  ImGui::SameLine();
  ImGui::TextDisabled("%s", r->label.c_str());
  const Bins& b = r->view.bins;
  const size_t upto = r->cursor <= b.t0 ? 0 : std::min(b.size(), static_cast<size_t>((r->cursor - b.t0) / b.width) + 1);
  const double per_s = 1e9 / static_cast<double>(b.width);
  const bool light = light_theme(app);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 big(avail.x, (avail.y - gap * 2) * 0.4f);
  const ImVec2 small((avail.x - gap) * 0.5f, (avail.y - gap * 2) * 0.3f - gap);
  const Format rate = [](double v) { return format_rate(v); };
  const Format per_second = [](double v) { return format_count(static_cast<uint64_t>(std::llround(v))) + " /s"; };
  chart(tr(p, "Bytes moved per second: CPU copies vs DMA"), rate,
        {{&b.cpu_bytes, palette::kCpuCopy, tr(p, "CPU copy")},
         {&b.dma_bytes, palette::kDma, tr(p, "DMA (disk + NIC)")},
         {&b.payload_bytes, palette::kDelivered, tr(p, "throughput (to the sink)")}},
        upto, per_s, big, light);
  chart(tr(p, "Mode switches / s"), per_second, {{&b.mode_switches, palette::kModeSwitch, ""}}, upto,
        per_s, small, light);
  ImGui::SameLine();
  chart(tr(p, "Context switches / s"), per_second, {{&b.ctx_switches, palette::kContextSwitch, ""}},
        upto, per_s, small, light);
  chart(tr(p, "Page faults / s"), per_second, {{&b.faults, palette::kPageFault, ""}}, upto, per_s,
        small, light);
  ImGui::SameLine();
  chart(tr(p, "Throughput"), rate, {{&b.payload_bytes, palette::kDelivered, ""}}, upto, per_s, small, light);
}

}  // namespace copyscope::ui
