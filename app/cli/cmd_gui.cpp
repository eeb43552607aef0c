#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/common.h"
#include "ui/app.h"

namespace copyscope::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Whether a window can open, with stderr silenced meanwhile: libX11 prints
// the server's refusal ("Authorization required ...") once per attempt.
bool display_opens_quietly() {
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved >= 0 && null >= 0) dup2(null, STDERR_FILENO);
  const bool ok = ui::display_available();
  if (saved >= 0) {
    dup2(saved, STDERR_FILENO);
    close(saved);
  }
  if (null >= 0) close(null);
  return ok;
}

// Why the window cannot open, as one line that says what to do instead; ""
// when it can. Checked before the GUI starts, so that GLFW's own messages
// (which name X11 calls, not the cause) are not what a user reads.
std::string why_no_window() {
  const std::string x = env("DISPLAY"), wayland = env("WAYLAND_DISPLAY");
  if (x.empty() && wayland.empty())
    return "no display (DISPLAY and WAYLAND_DISPLAY are unset): the GUI needs one. Without it: 'copyscope compare "
           "--all' compares every method as a table, 'copyscope run METHOD' runs one, and 'xvfb-run copyscope gui "
           "--screenshot out.png' renders the window to a file";
  if (display_opens_quietly()) return "";
  const std::string shown = x.empty() ? "WAYLAND_DISPLAY=" + wayland : "DISPLAY=" + x;
  // A local X display ":N" has a socket; without one, no server is there.
  if (!x.empty() && x[0] == ':' && wayland.empty()) {
    const std::string sock =
        "/tmp/.X11-unix/X" + x.substr(1, x.find('.') == std::string::npos ? std::string::npos : x.find('.') - 1);
    struct stat st {};
    if (stat(sock.c_str(), &st) != 0)
      return "no X server on " + shown + " (no " + sock + "): start one, or use 'copyscope compare --all' headless";
  }
  if (geteuid() == 0)
    return "cannot open " + shown + " as root: root may not use this display (sudo drops XAUTHORITY). Run the GUI " +
           "as your user: live runs need only group copyscope (sudo adduser $USER copyscope, log in again), " +
           "recordings nothing; or keep your X authority: sudo --preserve-env=DISPLAY,XAUTHORITY copyscope gui";
  return "cannot open " + shown + ": check that the display server runs and that you may use it (XAUTHORITY)";
}

}  // namespace

CLI::App* add_gui(CLI::App& app, int& exit_code) {
  static ui::GuiOptions o;
  auto* cmd = app.add_subcommand("gui", "open the window: run a scenario and watch the data move");
  cmd->add_option("--replay", o.replay,
                  "open a recording (a trace exported by copyscope); repeat it to open several, which the Compare "
                  "panel shows side by side");
  cmd->add_option("--run", o.run_method, "start live runs at once: METHOD or METHOD,METHOD,... (needs root)");
  cmd->add_option("--size", o.size, "size for --run")->capture_default_str();
  cmd->add_option("--buffer", o.buffer, "buffer for --run")->capture_default_str();
  cmd->add_option("--cache", o.cache, "cache state for --run: cold or warm")
      ->capture_default_str()
      ->check(CLI::IsMember({"cold", "warm"}));
  cmd->add_option("--sink", o.sink, "sink for --run");
  cmd->add_option("--vm", o.vm.name, "--run in the lab VM (debian-6.12 or debian-6.1; needs root)")
      ->check(CLI::IsMember(lab_vm_names()));
  cmd->add_option("--nic-sg", o.vm.nic_sg, "with --vm: the sending card's scatter-gather, on or off")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--fs", o.vm.fs, "with --vm: the guest disk's filesystem, ext4 or xfs")
      ->check(CLI::IsMember({"ext4", "xfs"}));
  cmd->add_option("--synthetic", o.synthetic,
                  "open a synthetic run of about N events (for benchmarks; not a measurement)");
  cmd->add_option("--panel", o.panel, "panel to show first")
      ->capture_default_str()
      ->check(CLI::IsMember({"datapath", "plots", "timeline", "compare", "export"}));
  cmd->add_option("--screenshot", o.screenshot, "render, write this PNG and exit (waits for --run to finish)");
  cmd->add_option("--save-diagram", o.save_diagram,
                  "with --screenshot: also save the data-path diagram as this PNG, as Export's button does");
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
  cmd->callback([&exit_code] {
    if (const std::string why = why_no_window(); !why.empty()) {
      std::fprintf(stderr, "copyscope: %s\n", why.c_str());
      exit_code = 2;
      return;
    }
    exit_code = ui::run_gui(o);
  });
  return cmd;
}

// Plain `copyscope` opens the window; without one it says why and what to
// run instead (the headless comparison runs only when asked for).
int gui_or_default() {
  if (const std::string why = why_no_window(); !why.empty()) {
    std::fprintf(stderr, "copyscope: %s\n", why.c_str());
    return 2;
  }
  return ui::run_gui(ui::GuiOptions{});
}

}  // namespace copyscope::cli
