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
  // Each control goes on the current row when it fits there, else starts a
  // new one: nothing runs off the window at any size or font.
  const ImGuiStyle& st = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  bool first = true;
  auto place = [&](float w) {
    if (!first && ImGui::GetItemRectMax().x + st.ItemSpacing.x + w <= right) ImGui::SameLine();
    first = false;
  };
  auto button_w = [&](const char* s) { return ImGui::CalcTextSize(s, nullptr, true).x + st.FramePadding.x * 2; };
  auto check_w = [&](const char* s) {
    return ImGui::GetFrameHeight() + st.ItemInnerSpacing.x + ImGui::CalcTextSize(s, nullptr, true).x;
  };
  for (const Tab& t : tabs) {
    const bool on = prefs.panel == t.p;
    const char* label = tr(prefs, t.en);
    place(button_w(label));
    if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(label)) prefs.panel = t.p;
    if (on) ImGui::PopStyleColor();
  }
  SessionRun* r = app.session.current();
  const bool can_play = r && r->finished && r->view.event_count > 0;
  ImGui::BeginDisabled(!can_play);
  const char* play = prefs.playing ? tr(prefs, "Pause") : tr(prefs, "Play");
  place(button_w(play));
  if (ImGui::Button(play)) {
    if (!prefs.playing && r && r->cursor >= r->view.t1) r->cursor = r->view.t0;
    prefs.playing = !prefs.playing;
  }
  const char* step = tr(prefs, "Step");
  place(button_w(step));
  if (ImGui::Button(step) && r) {
    prefs.playing = false;
    if (r->cursor >= r->view.t1) r->cursor = r->view.t0;
    r->cursor = r->view.next_step_time(r->cursor);
  }
  const char* restart = tr(prefs, "Restart");
  place(button_w(restart));
  if (ImGui::Button(restart) && r) r->cursor = r->view.t0;
  ImGui::EndDisabled();
  place(fs * 6);
  ImGui::SetNextItemWidth(fs * 6);
  ImGui::SliderFloat("##speed", &prefs.speed, 0.1f, 1.0f, tr(prefs, "speed %.1fx"));
  place(fs * 5.5f);
  ImGui::SetNextItemWidth(fs * 5.5f);
  const char* langs[] = {"English", "简体中文"};
  int li = prefs.lang == "zh" ? 1 : 0;
  if (ImGui::Combo("##lang", &li, langs, 2)) prefs.lang = li ? "zh" : "en";
  bool light = prefs.theme == "light";
  const char* light_label = tr(prefs, "Light");
  place(check_w(light_label));
  if (ImGui::Checkbox(light_label, &light)) prefs.theme = light ? "light" : "dark";
  const char* classroom = tr(prefs, "Classroom");
  place(check_w(classroom));
  if (ImGui::Checkbox(classroom, &prefs.classroom)) prefs.theme = prefs.classroom ? "light" : "dark";
  const char* pane = tr(prefs, "Scenario pane");
  place(check_w(pane));
  ImGui::Checkbox(pane, &prefs.sidebar);
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
