// Scenario: pick a method and its parameters, run it live (or say why not),
// open a recording, choose among the session's runs.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

#include "methods.h"
#include "model/size.h"
#include "ui/app.h"

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
  ImGui::TextUnformatted(L(p, "Scenario", "场景"));
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
      if (!runnable) item += L(p, "  (no scenario yet)", "（尚无场景）");
      if (ImGui::Selectable(item.c_str(), static_cast<int>(i) == app.method_index)) {
        app.method_index = static_cast<int>(i);
        app.edit.method = methods[i].name;
        app.edit.sink.clear();
      }
    }
    ImGui::EndCombo();
  }
  if (sel) ImGui::TextWrapped("%s", sel->summary.in(p.lang).c_str());
  const scenario::MethodInfo* info = sel ? scenario::method_info(sel->name) : nullptr;

  const float label_w = ImGui::GetFontSize() * 4.5f;
  auto row = [&](const char* en, const char* zh) {
    ImGui::TextUnformatted(L(p, en, zh));
    ImGui::SameLine(label_w);
    ImGui::SetNextItemWidth(-1);
  };
  row("Size", "大小");
  ImGui::InputText("##size", &app.edit_size);
  row("Buffer", "缓冲区");
  ImGui::InputText("##buffer", &app.edit_buffer);
  row("Cache", "缓存");
  int cache = app.edit.cache == "warm" ? 1 : 0;
  const char* caches[] = {L(p, "cold", "冷（不在缓存）"), L(p, "warm", "热（已在缓存）")};
  if (ImGui::Combo("##cache", &cache, caches, 2)) app.edit.cache = cache ? "warm" : "cold";
  row("Sink", "接收端");
  std::vector<std::string> sinks = info ? split_sinks(info->sinks) : std::vector<std::string>{"tcp"};
  if (app.edit.sink.empty() && !sinks.empty()) app.edit.sink = sinks[0];
  if (ImGui::BeginCombo("##sink", app.edit.sink.c_str())) {
    for (const auto& s : sinks)
      if (ImGui::Selectable(s.c_str(), s == app.edit.sink)) app.edit.sink = s;
    ImGui::EndCombo();
  }

  // Where: this machine, or a lab VM (a stock Debian kernel under qemu, with an
  // NVMe disk and e1000 cards, where DMA is measured).
  row("Where", "运行于");
  {
    const auto& vms = lab_vm_names();
    int where = 0;
    for (size_t i = 0; i < vms.size(); ++i)
      if (vms[i] == app.edit_vm.name) where = static_cast<int>(i) + 1;
    auto where_label = [&](int i) {
      return i == 0 ? std::string(L(p, "this machine", "本机"))
                    : std::string(L(p, "lab VM ", "实验虚拟机 ")) + vms[static_cast<size_t>(i) - 1];
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
    row("Card SG", "网卡 SG");
    int sg = app.edit_vm.nic_sg == "on" ? 1 : app.edit_vm.nic_sg == "off" ? 2 : 0;
    const char* sgs[] = {L(p, "driver default (on)", "驱动默认（开）"), L(p, "on: gather DMA", "开：聚集 DMA"),
                         L(p, "off: the CPU copies", "关：由 CPU 拷贝")};
    if (ImGui::Combo("##nicsg", &sg, sgs, 3)) app.edit_vm.nic_sg = sg == 1 ? "on" : sg == 2 ? "off" : "";
    row("Disk", "磁盘");
    int fs = app.edit_vm.fs == "xfs" ? 1 : 0;
    const char* fss[] = {L(p, "ext4", "ext4"), L(p, "xfs (reflink)", "xfs（reflink）")};
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
  if (ImGui::Button(L(p, "Run", "运行"))) {
    if (in_vm)
      app.session.start_vm({rp}, app.edit_vm);
    else
      app.session.start_live(rp);
  }
  ImGui::SameLine();
  if (ImGui::Button(L(p, "Run all", "全部运行"))) {
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
  if (ImGui::Button(L(p, "Stop", "停止"))) app.session.stop_live();
  ImGui::EndDisabled();
  const ImVec4 warn(0.85f, 0.35f, 0.15f, 1);
  if (in_vm && !can_live) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    ImGui::TextWrapped("%s %s", L(p, "The lab VM cannot run this:", "实验虚拟机无法运行："),
                       (app.session.vm_problem().empty() ? vm_method_problem : app.session.vm_problem()).c_str());
    ImGui::PopStyleColor();
  } else if (in_vm) {
    ImGui::TextWrapped("%s", L(p, "Runs in Debian's stock kernel under qemu (NVMe disk, two e1000 cards): DMA and "
                                  "copies are measured there. About half a minute per boot; the views fill in when "
                                  "the guest is done.",
                               "在 qemu 中的 Debian 原版内核里运行（NVMe 磁盘、两块 e1000 网卡），DMA 和拷贝都在那里实测。"
                               "每次启动约半分钟；虚拟机运行结束后各视图才会显示结果。"));
  } else if (!can_live) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    ImGui::TextWrapped("%s %s", L(p, "Live capture is off:", "无法实时采集："), app.session.capture_problem().c_str());
    ImGui::PopStyleColor();
  } else if (!params_ok) {
    ImGui::PushStyleColor(ImGuiCol_Text, warn);
    ImGui::TextWrapped("%s",
                       err.empty() ? L(p, "the buffer is larger than the size", "缓冲区大于传输大小") : err.c_str());
    ImGui::PopStyleColor();
  } else if (!info) {
    ImGui::TextWrapped("%s", L(p, "This method has no scenario yet: its diagram is shown from the textbook.",
                               "该方法尚无可运行的场景：只显示教材中的示意图。"));
  }

  draw_trace_form(app);

  ImGui::Separator();
  ImGui::TextUnformatted(L(p, "Open recording", "打开录制文件"));
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 4);
  ImGui::InputTextWithHint("##rec", "assets/recordings/read_write.json", &app.recording_path);
  ImGui::SameLine();
  ImGui::BeginDisabled(app.recording_path.empty());
  if (ImGui::Button(L(p, "Open", "打开"))) app.session.open_recording(app.recording_path);
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
  ImGui::TextUnformatted(L(p, "Runs of this session", "本次会话的运行"));
  const auto& runs = app.session.runs();
  if (runs.empty()) ImGui::TextDisabled("%s", L(p, "none yet", "暂无"));
  for (size_t i = 0; i < runs.size(); ++i) {
    const SessionRun& r = *runs[i];
    std::string label = std::to_string(i + 1) + ". " + r.label;
    if (!r.finished)
      label += L(p, "  (running)", "（运行中）");
    else if (r.failed)
      label += L(p, "  (failed)", "（失败）");
    if (ImGui::Selectable(label.c_str(), i == app.session.current_index())) app.session.select(i);
  }
}

}  // namespace copyscope::ui
