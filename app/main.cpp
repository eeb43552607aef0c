// copyscope: see how Linux moves data. The CLI; each subcommand is in app/cli/.
#include <signal.h>

#include <cstdio>
#include <string>

#include "cli/common.h"
#include "launch/cancel.h"
#include "launch/runner.h"

using namespace copyscope;

int main(int argc, char** argv) {
  CLI::App app{
      "copyscope: trace how Linux moves file data (read+write, sendfile, splice, ...) and compare it "
      "with the textbook"};
  app.footer(cli::kExamples);
  app.require_subcommand(0, 1);

  // Ctrl-C and SIGTERM stop the runs (each through its cancel token), then
  // the program; a second one gets the default action.
  interrupt::install();
  signal(SIGPIPE, SIG_IGN);

  int exit_code = 0;
  cli::add_list(app, exit_code);
  cli::add_run(app, exit_code);
  cli::add_trace(app, exit_code);
  cli::add_compare(app, exit_code);
  cli::add_bench(app, exit_code);
  cli::add_gui(app, exit_code);
  cli::add_replay(app, exit_code);
  cli::add_vm(app, exit_code);

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) exit_code = cli::gui_or_default();
    return exit_code;
  } catch (const CLI::ParseError& e) {
    // --help and --version print as CLI11 does; a usage error is one line,
    // never CLI11's message plus its "Run with --help" line.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::string why = e.what();
    for (char& c : why)
      if (c == '\n' || c == '\r') c = ' ';
    std::fprintf(stderr, "copyscope: %s (copyscope --help lists the commands and options)\n", why.c_str());
    return 2;
  } catch (const RunError& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return 1;
  }
}
