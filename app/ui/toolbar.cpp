// The top bar: the panels on the left; playback, language and theme on the
// right (or on a second row when they do not fit); the replay cursor below.
#include <imgui.h>

#include <algorithm>

#include "model/format.h"
#include "ui/app.h"

namespace copyscope::ui {

void draw_toolbar(App& app) {
  UiPrefs& prefs = app.prefs;
  const float fs = ImGui::GetFontSize();
  struct Tab {
    Panel p;
    const char* en;
  };
  const Tab tabs[] = {{Panel::DataPath, N_("Data path")},
                      {Panel::Plots, N_("Live plots")},
                      {Panel::Timeline, N_("Timeline")},
                      {Panel::Compare, N_("Compare")},
                      {Panel::Export, N_("Export")}};
  for (const Tab& t : tabs) {
    const bool on = prefs.panel == t.p;
    if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(tr(prefs, t.en))) prefs.panel = t.p;
    if (on) ImGui::PopStyleColor();
    ImGui::SameLine();
  }
  const float controls_w = fs * 30.0f;
  if (ImGui::GetContentRegionAvail().x < controls_w) ImGui::NewLine();
  SessionRun* r = app.session.current();
  const bool can_play = r && r->finished && r->view.event_count > 0;
  ImGui::BeginDisabled(!can_play);
  if (ImGui::Button(prefs.playing ? tr(prefs, "Pause") : tr(prefs, "Play"))) {
    if (!prefs.playing && r && r->cursor >= r->view.t1) r->cursor = r->view.t0;
    prefs.playing = !prefs.playing;
  }
  ImGui::SameLine();
  if (ImGui::Button(tr(prefs, "Step")) && r) {
    prefs.playing = false;
    if (r->cursor >= r->view.t1) r->cursor = r->view.t0;
    r->cursor = r->view.next_step_time(r->cursor);
  }
  ImGui::SameLine();
  if (ImGui::Button(tr(prefs, "Restart")) && r) r->cursor = r->view.t0;
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 6);
  ImGui::SliderFloat("##speed", &prefs.speed, 0.1f, 1.0f, tr(prefs, "speed %.1fx"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 5.5f);
  const char* langs[] = {"English", "简体中文"};
  int li = prefs.lang == "zh" ? 1 : 0;
  if (ImGui::Combo("##lang", &li, langs, 2)) prefs.lang = li ? "zh" : "en";
  ImGui::SameLine();
  bool light = prefs.theme == "light";
  if (ImGui::Checkbox(tr(prefs, "Light"), &light)) prefs.theme = light ? "light" : "dark";
  ImGui::SameLine();
  if (ImGui::Checkbox(tr(prefs, "Classroom"), &prefs.classroom))
    prefs.theme = prefs.classroom ? "light" : "dark";
  ImGui::SameLine();
  ImGui::Checkbox(tr(prefs, "Scenario pane"), &prefs.sidebar);
  if (app.cjk_missing)
    ImGui::TextColored(ImVec4(0.9f, 0.3f, 0.2f, 1),
                       "No Chinese font found (install fonts-noto-cjk); showing English where glyphs are missing.");

  // Replay cursor: where the animation is, in the run's own time.
  if (r && r->view.t1 > r->view.t0) {
    const double span = static_cast<double>(r->view.t1 - r->view.t0);
    float pos = static_cast<float>(static_cast<double>(r->cursor - std::min(r->cursor, r->view.t0)) / span);
    ImGui::SetNextItemWidth(-1);
    const std::string label = format_duration(pos * span) + " / " + format_duration(span);
    ImGui::BeginDisabled(!r->finished);
    if (ImGui::SliderFloat("##cursor", &pos, 0.0f, 1.0f, label.c_str())) {
      r->cursor = r->view.t0 + static_cast<uint64_t>(pos * span);
      prefs.playing = false;
    }
    ImGui::EndDisabled();
  }
}

}  // namespace copyscope::ui
