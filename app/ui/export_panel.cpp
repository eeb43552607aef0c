// Export: trace (Perfetto / chrome://tracing), CSV and report of the current
// run, through app/export when this build has it; otherwise disabled, with why.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "ui/app.h"
#if defined(COPYSCOPE_UI_EXPORT)
#include "export/csv.h"
#include "export/output_file.h"
#include "export/report.h"
#include "export/svg.h"
#include "export/trace.h"
#include "ui/text_wrap.h"
#define COPYSCOPE_UI_HAVE_TRACE_EXPORT 1
#endif

namespace copyscope::ui {

void draw_export_panel(App& app) {
  const UiPrefs& p = app.prefs;
  ImGui::PushFont(app.font_big);
  ImGui::TextUnformatted(tr(p, "Export"));
  ImGui::PopFont();
  SessionRun* r = app.session.current();
  if (!r || !r->finished || r->failed) {
    text_wrapped("%s", tr(p, "Finish a run (or open a recording) first."));
    return;
  }
  ImGui::TextDisabled("%s", r->label.c_str());
  static std::string path = "copyscope-trace.json";
  ImGui::TextUnformatted(tr(p, "File"));
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##path", &path);
#ifdef COPYSCOPE_UI_HAVE_TRACE_EXPORT
  static std::string result;
  auto attempt = [&](auto&& fn, const std::string& file) {
    try {
      fn(file);
      app.session.set_status(say("wrote %s", file));
    } catch (const std::exception& e) {
      app.session.set_status(same(e.what()));
    }
    result = app.session.status().in(p.lang);
  };
  auto stem = [&](const char* ext) {
    std::string s = path;
    const size_t dot = s.rfind('.');
    if (dot != std::string::npos && s.find('/', dot) == std::string::npos) s.resize(dot);
    return s + ext;
  };
  if (ImGui::Button(tr(p, "Save trace (Perfetto JSON)")))
    attempt([&](const std::string& f) { write_trace(r->run, r->summary, f); }, stem(".json"));
  ImGui::SameLine();
  if (ImGui::Button(tr(p, "Save CSV")))
    attempt([&](const std::string& f) { write_csv({r->summary}, f); }, stem(".csv"));
  ImGui::SameLine();
  if (ImGui::Button(tr(p, "Save report")))
    attempt([&](const std::string& f) { write_report({r->run}, {r->summary}, f, p.lang); }, stem(".html"));
  // The data-path diagram alone: drawn as SVG from the same model, or the window's own pixels as PNG.
  if (r->view.diagram.row) {
    if (ImGui::Button(tr(p, "Save diagram (SVG)")))
      attempt(
          [&](const std::string& f) {
            write_output(f, svg::document(svg::datapath(r->view.diagram, r->summary, p.lang)), "diagram");
          },
          stem("-diagram.svg"));
    ImGui::SameLine();
    if (ImGui::Button(tr(p, "Save diagram (PNG)"))) app.request_diagram_png(stem("-diagram.png"));
  }
  text_wrapped(
      "%s", tr(p, "The trace opens in ui.perfetto.dev or chrome://tracing, and in this window with Open recording."));
  if (!result.empty()) text_wrapped("%s", result.c_str());
#else
  ImGui::BeginDisabled(true);
  ImGui::Button(tr(p, "Save trace (Perfetto JSON)"));
  ImGui::SameLine();
  ImGui::Button(tr(p, "Save CSV"));
  ImGui::SameLine();
  ImGui::Button(tr(p, "Save report"));
  ImGui::EndDisabled();
  text_wrapped("%s", tr(p, "Export is not available in this build: it was configured without app/export."));
#endif
}

}  // namespace copyscope::ui
