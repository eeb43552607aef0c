// Trace a program: the form beside the scenarios (a command or a process id,
// an optional duration), and a traced run's flows, each with the textbook
// method it uses, where a scenario's data-path diagram would be. The model
// classified them (model/flows.h); this file only shows them.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <cstdlib>
#include <sstream>

#include "model/format.h"
#include "ui/app.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string figure(const std::optional<double>& v) { return v ? format_figure(*v) : "-"; }

}  // namespace

void draw_trace_form(App& app) {
  const UiPrefs& p = app.prefs;
  ImGui::Separator();
  ImGui::TextUnformatted(tr(p, "Trace a program"));
  const float label_w = ImGui::GetFontSize() * 5;
  ImGui::TextUnformatted(tr(p, "Command"));
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##trace_cmd", "cp big.iso /tmp/copy.iso", &app.trace_command);
  ImGui::TextUnformatted(tr(p, "or PID"));
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##trace_pid", "1234", &app.trace_pid, ImGuiInputTextFlags_CharsDecimal);
  ImGui::TextUnformatted(tr(p, "Seconds"));
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputFloat("##trace_secs", &app.trace_seconds, 1, 10, "%.1f");
  if (app.trace_seconds < 0) app.trace_seconds = 0;

  const std::vector<std::string> words = split_words(app.trace_command);
  const bool has_pid = !app.trace_pid.empty();
  const bool one = has_pid != !words.empty();
  ImGui::BeginDisabled(!one || app.session.live_busy() || !app.session.capture_problem().empty());
  if (ImGui::Button(tr(p, "Trace"))) {
    TraceRequest req;
    req.command = words;
    if (has_pid) req.pid = static_cast<pid_t>(std::strtol(app.trace_pid.c_str(), nullptr, 10));
    req.duration_s = app.trace_seconds;
    app.session.start_trace(req, has_pid ? "pid " + app.trace_pid : words.front());
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!app.session.live_busy());
  if (ImGui::Button(tr(p, "Stop##trace"))) app.session.stop_live();
  ImGui::EndDisabled();
  if (!one)
    text_wrapped("%s", tr(p, "Give a command or a process id (one of them)."));
  else
    text_wrapped("%s", tr(p, "A command runs as you until it exits (or for the seconds given); a process id is "
                                  "traced until it exits or Stop, and keeps running."));
}

bool draw_trace_flows(App& app) {
  const UiPrefs& p = app.prefs;
  SessionRun* r = app.session.current();
  if (!r || r->run.params.method != kTraceMethod) return false;
  ImGui::TextUnformatted(r->label.c_str());
  if (r->failed) {
    text_wrapped("%s %s", tr(p, "The trace failed:"), r->error.c_str());
    return true;
  }
  if (!r->finished) {
    text_wrapped("%s", tr(p, "Tracing... the flows appear when the program exits, its time is up or Stop is "
                                  "pressed."));
    return true;
  }
  const Summary& s = r->summary;
  text_wrapped("%s %zu, %s %s", tr(p, "Data flows:"), s.flows.size(), tr(p, "delivered"),
                     format_bytes(s.bytes).c_str());
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
  if (ImGui::BeginTable("flows", 7, flags)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn(tr(p, "method"), ImGuiTableColumnFlags_WidthStretch, 1.2f);
    ImGui::TableSetupColumn(tr(p, "from"), ImGuiTableColumnFlags_WidthStretch, 2.5f);
    ImGui::TableSetupColumn(tr(p, "to"), ImGuiTableColumnFlags_WidthStretch, 2.5f);
    ImGui::TableSetupColumn(tr(p, "bytes"), ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn(tr(p, "calls"), ImGuiTableColumnFlags_WidthStretch, 0.8f);
    ImGui::TableSetupColumn(tr(p, "per unit: mode / CPU / DMA (textbook)"), ImGuiTableColumnFlags_WidthStretch, 2.2f);
    ImGui::TableSetupColumn(tr(p, "why"), ImGuiTableColumnFlags_WidthStretch, 4.0f);
    ImGui::TableHeadersRow();
    for (const DataFlow& f : s.flows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(f.method.c_str());
      ImGui::TableNextColumn();
      text_wrapped("%s %s", fd_kind_name(f.source.kind), f.source.name.c_str());
      ImGui::TableNextColumn();
      text_wrapped("%s %s", fd_kind_name(f.destination.kind), f.destination.name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_bytes(f.bytes).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_count(f.calls).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%s / %s / %s (%s / %s / %s)", format_figure(f.mode_switches).c_str(),
                  format_figure(f.cpu_copies).c_str(), format_figure(f.dma_copies).c_str(),
                  figure(f.textbook.mode_switches).c_str(), figure(f.textbook.cpu_copies).c_str(),
                  figure(f.textbook.dma_copies).c_str());
      ImGui::TableNextColumn();
      text_wrapped("%s", f.reason.c_str());
      for (const FlowFigure& d : f.deviations) text_wrapped("* %s: %s", d.what.c_str(), d.why.c_str());
    }
    ImGui::EndTable();
  }
  return true;
}

}  // namespace copyscope::ui
