// Export: trace (Perfetto / chrome://tracing), CSV and report of the current
// run, through app/export when this build has it; otherwise disabled, with why.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "ui/app.h"
#if defined(COPYSCOPE_UI_EXPORT)
#include "export/csv.h"
#include "export/report.h"
#include "export/trace.h"
#define COPYSCOPE_UI_HAVE_TRACE_EXPORT 1
#endif

namespace copyscope::ui {

void draw_export_panel(App& app) {
  const UiPrefs& p = app.prefs;
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(L(p, "Export", "导出"));
  ImGui::PopFont();
  SessionRun* r = app.session.current();
  if (!r || !r->finished || r->failed) {
    ImGui::TextWrapped("%s", L(p, "Finish a run (or open a recording) first.", "请先完成一次运行（或打开录制文件）。"));
    return;
  }
  ImGui::TextDisabled("%s", r->label.c_str());
  static std::string path = "copyscope-trace.json";
  ImGui::TextUnformatted(L(p, "File", "文件"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##path", &path);
#ifdef COPYSCOPE_UI_HAVE_TRACE_EXPORT
  static std::string result;
  auto attempt = [&](auto&& fn, const std::string& file) {
    try {
      fn(file);
      result = std::string(L(p, "wrote ", "已写入 ")) + file;
    } catch (const std::exception& e) {
      result = e.what();
    }
    app.session.set_status(result);
  };
  auto stem = [&](const char* ext) {
    std::string s = path;
    const size_t dot = s.rfind('.');
    if (dot != std::string::npos && s.find('/', dot) == std::string::npos) s.resize(dot);
    return s + ext;
  };
  if (ImGui::Button(L(p, "Save trace (Perfetto JSON)", "保存追踪（Perfetto JSON）")))
    attempt([&](const std::string& f) { write_trace(r->run, r->summary, f); }, stem(".json"));
  ImGui::SameLine();
  if (ImGui::Button(L(p, "Save CSV", "保存 CSV")))
    attempt([&](const std::string& f) { write_csv({r->summary}, f); }, stem(".csv"));
  ImGui::SameLine();
  if (ImGui::Button(L(p, "Save report", "保存报告")))
    attempt([&](const std::string& f) { write_report({r->run}, {r->summary}, f, p.lang); }, stem(".html"));
  ImGui::TextWrapped(
      "%s", L(p, "The trace opens in ui.perfetto.dev or chrome://tracing, and in this window with Open recording.",
              "追踪文件可在 ui.perfetto.dev 或 chrome://tracing 中打开，也可在本窗口用“打开录制文件”重新打开。"));
  if (!result.empty()) ImGui::TextWrapped("%s", result.c_str());
#else
  ImGui::BeginDisabled(true);
  ImGui::Button(L(p, "Save trace (Perfetto JSON)", "保存追踪（Perfetto JSON）"));
  ImGui::SameLine();
  ImGui::Button(L(p, "Save CSV", "保存 CSV"));
  ImGui::SameLine();
  ImGui::Button(L(p, "Save report", "保存报告"));
  ImGui::EndDisabled();
  ImGui::TextWrapped("%s", L(p, "Export is not available in this build: it was configured without app/export.",
                             "此版本不支持导出：构建时没有 app/export 模块。"));
#endif
}

}  // namespace copyscope::ui
