#include "cli/common.h"
#include "ui/app.h"

namespace copyscope::cli {

CLI::App* add_gui(CLI::App& app, int& exit_code) {
  static ui::GuiOptions o;
  auto* cmd = app.add_subcommand("gui", "open the window: run a scenario and watch the data move");
  cmd->add_option("--replay", o.replay, "open a recording (a trace exported by copyscope)");
  cmd->add_option("--run", o.run_method, "start live runs at once: METHOD or METHOD,METHOD,... (needs root)");
  cmd->add_option("--size", o.size, "size for --run")->capture_default_str();
  cmd->add_option("--buffer", o.buffer, "buffer for --run")->capture_default_str();
  cmd->add_option("--cache", o.cache, "cache state for --run: cold or warm")
      ->capture_default_str()
      ->check(CLI::IsMember({"cold", "warm"}));
  cmd->add_option("--sink", o.sink, "sink for --run");
  cmd->add_option("--synthetic", o.synthetic,
                  "open a synthetic run of about N events (for benchmarks; not a measurement)");
  cmd->add_option("--panel", o.panel, "panel to show first")
      ->capture_default_str()
      ->check(CLI::IsMember({"datapath", "plots", "timeline", "compare", "export"}));
  cmd->add_option("--screenshot", o.screenshot, "render, write this PNG and exit (waits for --run to finish)");
  cmd->add_option("--at", o.at,
                  "replay cursor at this fraction of the recording (0..1), e.g. for a mid-transfer screenshot")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--regions", o.regions,
                "with --screenshot: also write FILE.png.json with the diagram's and the panes' rectangles");
  cmd->add_option("--frames", o.frames, "frames to render before the screenshot")->capture_default_str();
  cmd->add_option("--lang", o.lang, "en or zh")->capture_default_str()->check(CLI::IsMember({"en", "zh"}));
  cmd->add_option("--theme", o.theme, "light or dark")->check(CLI::IsMember({"light", "dark"}));
  cmd->add_flag("--classroom", o.classroom, "large fonts and the light theme");
  cmd->add_option("--width", o.width, "window width")->capture_default_str()->check(CLI::Range(320, 8192));
  cmd->add_option("--height", o.height, "window height")->capture_default_str()->check(CLI::Range(240, 8192));
  cmd->footer(R"(
EXAMPLES
  copyscope gui
  copyscope gui --replay assets/recordings/sendfile.json --lang zh --classroom
  copyscope gui --run read_write --size 32M --panel datapath --screenshot docs/datapath.png
)");
  cmd->callback([&exit_code] { exit_code = ui::run_gui(o); });
  return cmd;
}

int gui_or_default() {
  if (ui::display_available()) return ui::run_gui(ui::GuiOptions{});
  return default_action();
}

}  // namespace copyscope::cli
