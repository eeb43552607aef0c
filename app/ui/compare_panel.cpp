// Compare: every finished run of the session side by side, textbook columns
// next to the measured ones, match marks, bars; a click opens that run.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "model/format.h"
#include "model/textbook.h"
#include "ui/app.h"
#include "ui/diagram_draw.h"
#include "ui/draw.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

// One cell: the measured figure per unit, its mark against the textbook, and
// the textbook's figure after it, dimmed.
void cell_pair(const std::optional<double>& tbv, double m) {
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(format_figure(m).c_str());
  if (!tbv) return;
  ImGui::SameLine();
  const bool ok = std::round(m) == *tbv;
  ImGui::PushStyleColor(ImGuiCol_Text, col(ok ? palette::kMatches : palette::kDiffers));
  ImGui::TextUnformatted(ok ? "\u2713" : "\u2717");
  ImGui::PopStyleColor();
  ImGui::SameLine();
  ImGui::TextDisabled("tb %s", format_figure(*tbv).c_str());
}

constexpr size_t kSideBySide = 3;

// "4 (tb 4)" coloured by whether it matches the textbook.
// A figure that does not fit in what is left of the line starts the next one
// at `left`; `right` is the column's edge.
void figure(ImDrawList* dl, ImVec2& at, float left, float right, const char* what, double measured,
            const std::optional<double>& tb) {
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const std::string s = std::string(what) + " " + format_figure(measured);
  const bool ok = tb && std::round(measured) == *tb;
  const std::string t = tb ? std::string(" (") + (ok ? "\u2713" : "\u2717 tb " + format_figure(*tb)) + ")" : "";
  const float w = ImGui::CalcTextSize(s.c_str()).x + ImGui::CalcTextSize(t.c_str()).x;
  if (at.x > left && at.x + w > right) at = ImVec2(left, at.y + ImGui::GetTextLineHeightWithSpacing());
  dl->AddText(at, text, s.c_str());
  at.x += ImGui::CalcTextSize(s.c_str()).x;
  if (tb) {
    dl->AddText(at, col(ok ? palette::kMatches : palette::kDiffers), t.c_str());
    at.x += ImGui::CalcTextSize(t.c_str()).x;
  }
  at.x += ImGui::GetFontSize() * 0.8f;
}

// Two or three runs' diagrams side by side, each with its method, its textbook
// row and its measured counts per transfer unit: the articles' comparison.
void draw_side_by_side(App& app, const std::vector<size_t>& picks) {
  const UiPrefs& p = app.prefs;
  const Session& session = app.session;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fs = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float gap = fs;
  const float n = static_cast<float>(picks.size());
  const float w = (avail.x - gap * (n - 1)) / n;
  // Title, textbook row, figures (on two lines when three runs share a narrow window).
  const float caption = ImGui::GetTextLineHeightWithSpacing() * (n > 2 && avail.x < fs * 75 ? 4.2f : 3.2f);
  // Never squeezed below a readable height: the panel scrolls instead.
  const float dh = std::max(fs * 12, avail.y - caption - fs * 0.5f);
  ImGui::Dummy(ImVec2(avail.x, caption + dh));
  for (size_t k = 0; k < picks.size(); ++k) {
    const SessionRun& r = *session.runs()[picks[k]];
    const Summary& s = r.summary;
    const TextbookMethod* tb = Textbook::builtin().find(r.run.params.method);
    const ImVec2 at(o.x + (w + gap) * static_cast<float>(k), o.y);
    dl->PushClipRect(at, ImVec2(at.x + w, at.y + caption + dh), true);
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const std::string title =
        std::to_string(picks[k] + 1) + ". " + (tb ? tb->title.in(p.lang) : r.run.params.method) + "  " + r.label;
    dl->AddText(at, ImGui::GetColorU32(ImGuiCol_Text), title.c_str());
    const TextbookRow* row =
        tb && !tb->rows.empty() ? (tb->find_row(s.row_id) ? tb->find_row(s.row_id) : &tb->rows.front()) : nullptr;
    if (row && tb->rows.size() > 1)
      dl->AddText(ImVec2(at.x, at.y + line), col(palette::kDma), row->title.in(p.lang).c_str());
    ImVec2 fig(at.x, at.y + line * 2);
    const float right = at.x + w;
    figure(dl, fig, at.x, right, tr(p, "mode sw."), s.per_call.mode_switches, s.textbook.mode_switches);
    figure(dl, fig, at.x, right, tr(p, "CPU"), s.per_call.cpu_copies, s.textbook.cpu_copies);
    figure(dl, fig, at.x, right, "DMA", s.per_call.dma_copies, s.textbook.dma_copies);
    if (tb && r.view.textbook == tb && r.view.diagram.row)
      draw_diagram(app, dl, ImVec2(at.x, at.y + caption), w, dh, *tb, r.view.diagram, &r, r.view.t1);
    dl->PopClipRect();
  }
}

}  // namespace

void draw_compare_panel(App& app) {
  const UiPrefs& p = app.prefs;
  const Session& session = app.session;
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Compare"));
  ImGui::PopFont();
  std::vector<size_t> rows;
  for (size_t i = 0; i < session.runs().size(); ++i)
    if (session.runs()[i]->finished && !session.runs()[i]->failed) rows.push_back(i);
  if (rows.empty()) {
    text_wrapped("%s", tr(p, "No finished runs yet: press Run all in the Scenario panel."));
    return;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  text_wrapped("%s", tr(p, "Measured per transfer unit (tb = textbook) and in total. Click a row to open that run; tick up to three "
                              "to see their diagrams side by side."));
  ImGui::PopStyleColor();
  // Until the user ticks some: the first runs of different methods.
  auto& picks = app.side_by_side;
  picks.erase(std::remove_if(picks.begin(), picks.end(),
                             [&](size_t i) { return std::find(rows.begin(), rows.end(), i) == rows.end(); }),
              picks.end());
  if (!app.side_by_side_picked) {
    picks.clear();
    std::vector<std::string> seen;
    for (size_t i : rows) {
      const std::string& m = session.runs()[i]->run.params.method;
      if (picks.size() < kSideBySide && std::find(seen.begin(), seen.end(), m) == seen.end()) {
        picks.push_back(i);
        seen.push_back(m);
      }
    }
  }
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY;
  const float table_h = std::min(ImGui::GetContentRegionAvail().y * 0.5f,
                                 ImGui::GetFrameHeightWithSpacing() * (static_cast<float>(rows.size()) + 1.0f) +
                                     ImGui::GetStyle().ScrollbarSize + 2.0f);
  if (ImGui::BeginTable("compare", 11, flags, ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(2, 1);
    ImGui::TableSetupColumn(tr(p, "side by side"));
    ImGui::TableSetupColumn(tr(p, "run"));
    ImGui::TableSetupColumn(tr(p, "sink"));
    ImGui::TableSetupColumn(tr(p, "mode sw./unit"));
    ImGui::TableSetupColumn(tr(p, "CPU copies/unit"));
    ImGui::TableSetupColumn(tr(p, "DMA/unit"));
    ImGui::TableSetupColumn(tr(p, "ctx sw./unit"));
    ImGui::TableSetupColumn(tr(p, "mode sw. total"));
    ImGui::TableSetupColumn(tr(p, "CPU-copied total"));
    ImGui::TableSetupColumn(tr(p, "throughput"));
    ImGui::TableSetupColumn(tr(p, "copies"));
    ImGui::TableHeadersRow();
    for (size_t i : rows) {
      const SessionRun& r = *session.runs()[i];
      const Summary& s = r.summary;
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      bool on = std::find(picks.begin(), picks.end(), i) != picks.end();
      ImGui::PushID(static_cast<int>(i));
      ImGui::BeginDisabled(!on && picks.size() >= kSideBySide);
      if (ImGui::Checkbox("##side", &on)) {
        app.side_by_side_picked = true;
        if (on)
          picks.push_back(i);
        else
          picks.erase(std::find(picks.begin(), picks.end(), i));
      }
      ImGui::EndDisabled();
      ImGui::PopID();
      ImGui::TableNextColumn();
      std::string label = std::to_string(i + 1) + ". " + r.label;
      if (ImGui::Selectable(label.c_str(), i == session.current_index(), ImGuiSelectableFlags_SpanAllColumns)) {
        app.session.select(i);
        app.prefs.panel = Panel::DataPath;
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.params.sink.c_str());
      cell_pair(s.textbook.mode_switches, s.per_call.mode_switches);
      cell_pair(s.textbook.cpu_copies, s.per_call.cpu_copies);
      cell_pair(s.textbook.dma_copies, s.per_call.dma_copies);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_figure(s.per_call.context_switches).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_count(s.counters.mode_switches).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_bytes(s.counters.cpu_copy_bytes).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_rate(s.throughput_mib_s * kMiB).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.kernel.copy_accounting == "measured" ? tr(p, "measured")
                                                                    : tr(p, "attributed"));
    }
    ImGui::EndTable();
  }

  // Below: the chosen runs' diagrams side by side, or bars for every run.
  if (picks.size() >= 2) {
    int view = app.compare_bars ? 1 : 0;
    ImGui::RadioButton(tr(p, "diagrams side by side"), &view, 0);
    ImGui::SameLine();
    ImGui::RadioButton(tr(p, "bars"), &view, 1);
    app.compare_bars = view == 1;
    if (!app.compare_bars) {
      draw_side_by_side(app, picks);
      return;
    }
  }
  // Bars: throughput and CPU-copied bytes per payload byte, one row per run.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fs = ImGui::GetFontSize();
  double max_tp = 0, max_cpu = 0;
  for (size_t i : rows) {
    max_tp = std::max(max_tp, session.runs()[i]->summary.throughput_mib_s);
    max_cpu = std::max(max_cpu, session.runs()[i]->summary.per_call.cpu_copies);
  }
  max_cpu = std::max(max_cpu, 2.0);
  const float avail_w = ImGui::GetContentRegionAvail().x;
  float name_w = 0;
  for (size_t i : rows) name_w = std::max(name_w, ImGui::CalcTextSize(session.runs()[i]->label.c_str()).x);
  name_w = std::min(name_w + fs, avail_w * 0.35f);
  const float bar_w = (avail_w - name_w - fs * 2) * 0.5f;
  ImGui::Spacing();
  ImVec2 o = ImGui::GetCursorScreenPos();
  dl->AddText(ImVec2(o.x + name_w, o.y), ImGui::GetColorU32(ImGuiCol_Text), tr(p, "throughput"));
  dl->AddText(ImVec2(o.x + name_w + bar_w + fs, o.y), ImGui::GetColorU32(ImGuiCol_Text),
              tr(p, "CPU copies per byte (textbook mark: |)"));
  ImGui::Dummy(ImVec2(avail_w, fs * 1.3f));
  const float row_h = fs * 1.5f;
  for (size_t i : rows) {
    const SessionRun& r = *session.runs()[i];
    o = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(avail_w, row_h));
    dl->PushClipRect(o, ImVec2(o.x + name_w - fs * 0.3f, o.y + row_h), true);
    dl->AddText(ImVec2(o.x, o.y + (row_h - fs) * 0.5f), ImGui::GetColorU32(ImGuiCol_Text), r.label.c_str());
    dl->PopClipRect();
    const float tpw = max_tp > 0 ? static_cast<float>(r.summary.throughput_mib_s / max_tp) * bar_w : 0;
    dl->AddRectFilled(ImVec2(o.x + name_w, o.y + 3), ImVec2(o.x + name_w + std::max(1.0f, tpw), o.y + row_h - 3),
                      col(palette::kDelivered));
    // The figure inside its bar, or after it when the bar is too short.
    const std::string tp = format_rate(r.summary.throughput_mib_s * kMiB);
    const float tw = ImGui::CalcTextSize(tp.c_str()).x, ty = o.y + (row_h - fs) * 0.5f;
    if (tpw >= tw + fs * 0.6f)
      dl->AddText(ImVec2(o.x + name_w + tpw - tw - fs * 0.3f, ty), IM_COL32(255, 255, 255, 255), tp.c_str());
    else
      dl->AddText(ImVec2(o.x + name_w + std::max(1.0f, tpw) + fs * 0.3f, ty), ImGui::GetColorU32(ImGuiCol_Text),
                  tp.c_str());
    const float bx = o.x + name_w + bar_w + fs;
    const float cw = static_cast<float>(r.summary.per_call.cpu_copies / max_cpu) * bar_w;
    dl->AddRectFilled(ImVec2(bx, o.y + 3), ImVec2(bx + std::max(1.0f, cw), o.y + row_h - 3), col(palette::kCpuCopy));
    if (r.summary.textbook.cpu_copies) {
      const float tx = bx + static_cast<float>(*r.summary.textbook.cpu_copies / max_cpu) * bar_w;
      dl->AddLine(ImVec2(tx, o.y), ImVec2(tx, o.y + row_h), ImGui::GetColorU32(ImGuiCol_Text), 3.0f);
    }
  }
}

}  // namespace copyscope::ui
