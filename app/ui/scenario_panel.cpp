// Scenario: pick a method and its parameters, run it live (or say why not),
// open a recording, choose among the session's runs.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

#include "methods.h"
#include "model/size.h"
#include "ui/app.h"
#include "ui/text_wrap.h"

namespace copyscope::ui {

namespace {

std::vector<std::string> split_sinks(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t c = s.find(',');
    out.emplace_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

}  // namespace

void draw_scenario_panel(App& app) {
  const UiPrefs& p = app.prefs;
  const auto& methods = Textbook::builtin().methods();
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Scenario"));
  ImGui::PopFont();

  // Methods the scenario program can run first; the rest are listed, greyed out.
  if (app.method_index >= static_cast<int>(methods.size())) app.method_index = 0;
  for (size_t i = 0; i < methods.size(); ++i)
    if (methods[i].name == app.edit.method) app.method_index = static_cast<int>(i);
  const TextbookMethod* sel = methods.empty() ? nullptr : &methods[app.method_index];
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##method", sel ? sel->title.in(p.lang).c_str() : "-")) {
    for (size_t i = 0; i < methods.size(); ++i) {
      const bool runnable = scenario::method_info(methods[i].name) != nullptr;
      std::string item = methods[i].title.in(p.lang);
      if (!runnable) item += tr(p, "  (no scenario yet)");
      if (ImGui::Selectable(item.c_str(), static_cast<int>(i) == app.method_index)) {
        app.method_index = static_cast<int>(i);
        app.edit.method = methods[i].name;
        app.edit.sink.clear();
      }
    }
    ImGui::EndCombo();
  }
  if (sel) text_wrapped("%s", sel->summary.in(p.lang).c_str());
  const scenario::MethodInfo* info = sel ? scenario::method_info(sel->name) : nullptr;

  const float label_w = ImGui::GetFontSize() * 4.5f;
  auto row = [&](const char* en) {
    ImGui::TextUnformatted(tr(p, en));
    ImGui::SameLine(label_w);
    ImGui::SetNextItemWidth(-1);
  };
  row(N_("Size"));
  ImGui::InputText("##size", &app.edit_size);
  row(N_("Buffer"));
  ImGui::InputText("##buffer", &app.edit_buffer);
  row(N_("Cache"));
  int cache = app.edit.cache == "warm" ? 1 : 0;
  const char* caches[] = {tr(p, "cold"), tr(p, "warm")};
  if (ImGui::Combo("##cache", &cache, caches, 2)) app.edit.cache = cache ? "warm" : "cold";
  row(N_("Sink"));
  std::vector<std::string> sinks = info ? split_sinks(info->sinks) : std::vector<std::string>{"tcp"};
  if (app.edit.sink.empty() && !sinks.empty()) app.edit.sink = sinks[0];
  if (ImGui::BeginCombo("##sink", app.edit.sink.c_str())) {
    for (const auto& s : sinks)
      if (ImGui::Selectable(s.c_str(), s == app.edit.sink)) app.edit.sink = s;
    ImGui::EndCombo();
  }

  // Where: this machine, or a lab VM (a stock Debian kernel under qemu, with an
  // NVMe disk and e1000 cards, where DMA is measured).
  row(N_("Where"));
  {
    const auto& vms = lab_vm_names();
    int where = 0;
    for (size_t i = 0; i < vms.size(); ++i)
      if (vms[i] == app.edit_vm.name) where = static_cast<int>(i) + 1;
    auto where_label = [&](int i) {
      return i == 0 ? std::string(tr(p, "this machine"))
                    : std::string(tr(p, "lab VM ")) + vms[static_cast<size_t>(i) - 1];
    };
    if (ImGui::BeginCombo("##where", where_label(where).c_str())) {
      for (int i = 0; i <= static_cast<int>(vms.size()); ++i)
        if (ImGui::Selectable(where_label(i).c_str(), i == where))
          app.edit_vm.name = i == 0 ? std::string() : vms[static_cast<size_t>(i) - 1];
      ImGui::EndCombo();
    }
  }
  const bool in_vm = !app.edit_vm.name.empty();
  if (in_vm) {
    row(N_("Card SG"));
    int sg = app.edit_vm.nic_sg == "on" ? 1 : app.edit_vm.nic_sg == "off" ? 2 : 0;
    const char* sgs[] = {tr(p, "driver default (on)"), tr(p, "on: gather DMA"),
                         tr(p, "off: the CPU copies")};
    if (ImGui::Combo("##nicsg", &sg, sgs, 3)) app.edit_vm.nic_sg = sg == 1 ? "on" : sg == 2 ? "off" : "";
    row(N_("Disk"));
    int fs = app.edit_vm.fs == "xfs" ? 1 : 0;
    const char* fss[] = {tr(p, "ext4"), tr(p, "xfs (reflink)")};
    if (ImGui::Combo("##vmfs", &fs, fss, 2)) app.edit_vm.fs = fs ? "xfs" : "";
  }

  std::string err;
  auto size = parse_size(app.edit_size, &err);
  auto buffer = size ? parse_size(app.edit_buffer, &err) : std::nullopt;
  const bool params_ok = size && buffer && *buffer <= *size;
  RunParams rp = app.edit;
  if (params_ok) {
    rp.size = *size;
    rp.buffer = *buffer;
  }
  const std::string vm_method_problem = in_vm && info ? lab_vm_method_problem(std::string(info->name)) : "";
  const bool can_live = in_vm ? app.session.vm_problem().empty() && vm_method_problem.empty()
                              : app.session.capture_problem().empty();
  const bool busy = app.session.live_busy();
  ImGui::BeginDisabled(!can_live || busy || !params_ok || !info);
  if (ImGui::Button(tr(p, "Run"))) {
    if (in_vm)
      app.session.start_vm({rp}, app.edit_vm);
    else
      app.session.start_live(rp);
  }
  ImGui::SameLine();
  if (ImGui::Button(tr(p, "Run all"))) {
    if (in_vm) {
      // One boot for every method the guest can run.
      std::vector<RunParams> all;
      for (const auto& m : methods) {
        RunParams each = rp;
        each.method = m.name;
        each.sink.clear();
        all.push_back(each);
      }
      app.session.start_vm(all, app.edit_vm);
    } else {
      app.session.queue_all(rp);
    }
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!busy);
  if (ImGui::Button(tr(p, "Stop"))) app.session.stop_live();
  ImGui::EndDisabled();
  const ImVec4 warn(0.85f, 0.35f, 0.15f, 1);
  if (in_vm && !can_live) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    text_wrapped("%s %s", tr(p, "The lab VM cannot run this:"),
                       (app.session.vm_problem().empty() ? vm_method_problem : app.session.vm_problem()).c_str());
    ImGui::PopStyleColor();
  } else if (in_vm) {
    text_wrapped("%s", tr(p, "Runs in Debian's stock kernel under qemu (NVMe disk, two e1000 cards): DMA and "
                                  "copies are measured there. About half a minute per boot; the views fill in when "
                                  "the guest is done."));
  } else if (!can_live) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    text_wrapped("%s %s", tr(p, "Live capture is off:"), app.session.capture_problem().c_str());
    ImGui::PopStyleColor();
  } else if (!params_ok) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    text_wrapped("%s",
                       err.empty() ? tr(p, "the buffer is larger than the size") : err.c_str());
    ImGui::PopStyleColor();
  } else if (!info) {
    text_wrapped("%s", tr(p, "This method has no scenario yet: its diagram is shown from the textbook."));
  }

  draw_trace_form(app);

  ImGui::Separator();
  ImGui::TextUnformatted(tr(p, "Open recording"));
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 4);
  ImGui::InputTextWithHint("##rec", "assets/recordings/read_write.json", &app.recording_path);
  ImGui::SameLine();
  ImGui::BeginDisabled(app.recording_path.empty());
  if (ImGui::Button(tr(p, "Open"))) app.session.open_recording(app.recording_path);
  ImGui::EndDisabled();
  // The bundled recordings, one click each: what a lecture hall without root uses.
  static std::vector<std::string> bundled = [] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(assets_dir() + "/recordings", ec))
      if (e.path().extension() == ".json") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }();
  for (const std::string& path : bundled) {
    const std::string name = std::filesystem::path(path).stem().string();
    if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize(name.c_str()).x + ImGui::GetFontSize()) ImGui::NewLine();
    if (ImGui::SmallButton(name.c_str())) app.session.open_recording(path);
    ImGui::SameLine();
  }
  if (!bundled.empty()) ImGui::NewLine();

  ImGui::Separator();
  ImGui::TextUnformatted(tr(p, "Runs of this session"));
  const auto& runs = app.session.runs();
  if (runs.empty()) ImGui::TextDisabled("%s", tr(p, "none yet"));
  for (size_t i = 0; i < runs.size(); ++i) {
    const SessionRun& r = *runs[i];
    std::string label = std::to_string(i + 1) + ". " + r.label;
    if (!r.finished)
      label += tr(p, "  (running)");
    else if (r.failed)
      label += tr(p, "  (failed)");
    if (ImGui::Selectable(label.c_str(), i == app.session.current_index())) app.session.select(i);
  }
}

}  // namespace copyscope::ui
