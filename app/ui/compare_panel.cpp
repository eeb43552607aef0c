// Compare: every finished run of the session side by side, textbook columns
// next to the measured ones, match marks, bars; a click opens that run.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include "model/format.h"
#include "ui/app.h"
#include "ui/draw.h"

namespace copyscope::ui {

namespace {

void cell_pair(const std::optional<double>& tbv, double m) {
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(tbv ? format_figure(*tbv).c_str() : "-");
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(format_figure(m).c_str());
  if (tbv) {
    ImGui::SameLine();
    const bool ok = std::round(m) == *tbv;
    ImGui::PushStyleColor(ImGuiCol_Text, col(ok ? palette::kMatches : palette::kDiffers));
    ImGui::TextUnformatted(ok ? "\u2713" : "\u2717");
    ImGui::PopStyleColor();
  }
}

}  // namespace

void draw_compare_panel(App& app) {
  const UiPrefs& p = app.prefs;
  const Session& session = app.session;
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(L(p, "Compare", "对比"));
  ImGui::PopFont();
  std::vector<size_t> rows;
  for (size_t i = 0; i < session.runs().size(); ++i)
    if (session.runs()[i]->finished && !session.runs()[i]->failed) rows.push_back(i);
  if (rows.empty()) {
    ImGui::TextWrapped("%s", L(p, "No finished runs yet: press Run all in the Scenario panel.",
                               "还没有完成的运行：在场景面板中按“全部运行”。"));
    return;
  }
  ImGui::TextDisabled("%s", L(p, "Per transfer unit. tb = textbook. Click a row to open that run.",
                              "按每个传输单元计。tb = 教材。点击一行打开该运行。"));
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY;
  const float table_h = std::min(ImGui::GetContentRegionAvail().y * 0.5f,
                                 ImGui::GetFrameHeightWithSpacing() * (static_cast<float>(rows.size()) + 2.5f));
  if (ImGui::BeginTable("compare", 11, flags, ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn(L(p, "run", "运行"));
    ImGui::TableSetupColumn(L(p, "sink", "接收端"));
    ImGui::TableSetupColumn(L(p, "mode sw. tb", "模式切换 tb"));
    ImGui::TableSetupColumn(L(p, "measured", "实测"));
    ImGui::TableSetupColumn(L(p, "CPU copies tb", "CPU 拷贝 tb"));
    ImGui::TableSetupColumn(L(p, "measured", "实测"));
    ImGui::TableSetupColumn(L(p, "DMA tb", "DMA tb"));
    ImGui::TableSetupColumn(L(p, "measured", "实测"));
    ImGui::TableSetupColumn(L(p, "ctx sw.", "上下文切换"));
    ImGui::TableSetupColumn(L(p, "throughput", "吞吐量"));
    ImGui::TableSetupColumn(L(p, "copies", "拷贝"));
    ImGui::TableHeadersRow();
    for (size_t i : rows) {
      const SessionRun& r = *session.runs()[i];
      const Summary& s = r.summary;
      ImGui::TableNextRow();
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
      ImGui::TextUnformatted(format_rate(s.throughput_mib_s * kMiB).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.kernel.copy_accounting == "measured" ? L(p, "measured", "实测")
                                                                    : L(p, "attributed", "推算"));
    }
    ImGui::EndTable();
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
  dl->AddText(ImVec2(o.x + name_w, o.y), ImGui::GetColorU32(ImGuiCol_Text), L(p, "throughput", "吞吐量"));
  dl->AddText(ImVec2(o.x + name_w + bar_w + fs, o.y), ImGui::GetColorU32(ImGuiCol_Text),
              L(p, "CPU copies per byte (textbook mark: |)", "每字节 CPU 拷贝次数（教材值：|）"));
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
