// copyscope: see how Linux moves data. The CLI.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/output.h"
#include "methods.h"
#include "model/analysis.h"
#include "model/size.h"
#include "model/textbook.h"
#include "scenario/runner.h"

using namespace copyscope;
using nlohmann::json;

namespace {

constexpr const char* kExamples = R"(
EXAMPLES
  copyscope list
  copyscope run read_write --size 32M --buffer 64K --cache cold
  copyscope run sendfile --size 64M --json
  copyscope compare --all --size 64M
  copyscope compare read_write sendfile --cache warm --json

Exit codes: 0 ok, 1 the run failed, 2 usage or environment (with the reason).
Live capture needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF.
)";

struct CommonOptions {
  std::string size = "64M";
  std::string buffer = "64K";
  std::string cache = "cold";
  std::string sink;
  unsigned timeout = 60;
  bool json = false;
};

void add_common(CLI::App* app, CommonOptions& o) {
  app->add_option("--size", o.size, "bytes to transfer, with K/M/G suffix")->capture_default_str();
  app->add_option("--buffer", o.buffer, "user buffer / chunk size")->capture_default_str();
  app->add_option("--cache", o.cache, "source file's page-cache state: cold or warm")->capture_default_str();
  app->add_option("--sink", o.sink, "where the data goes: tcp, file, pipe or null (default: the method's first)");
  app->add_option("--timeout", o.timeout, "seconds before a scenario is stopped")->capture_default_str();
  app->add_flag("--json", o.json, "print JSON (the documented contract) instead of a table");
}

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "copyscope: %s\n", msg.c_str());
  std::exit(2);
}

RunParams params_from(const std::string& method, const CommonOptions& o) {
  RunParams p;
  p.method = method;
  std::string err;
  auto size = parse_size(o.size, &err);
  if (!size) usage_error("--size " + err);
  auto buffer = parse_size(o.buffer, &err);
  if (!buffer) usage_error("--buffer " + err);
  p.size = *size;
  p.buffer = *buffer;
  p.cache = o.cache;
  p.sink = o.sink;
  return p;
}

Summary run_one(const RunParams& p, const CommonOptions& o, bool progress) {
  RunRequest req;
  req.params = p;
  req.timeout_s = o.timeout;
  if (progress) std::fprintf(stderr, "copyscope: running %s (%s)...\n", p.method.c_str(), format_size(p.size).c_str());
  Run run = run_scenario(req);
  return summarize(run, Textbook::builtin().find(run.params.method));
}

void on_signal(int) {
  g_cancel.store(true);
  // A second Ctrl-C gets the default behaviour.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

int cmd_list(bool as_json) {
  const Textbook& tb = Textbook::builtin();
  json out = json::array();
  for (const auto& m : scenario::kMethods) {
    const TextbookMethod* t = tb.find(std::string(m.name));
    std::string desc = t ? t->summary.en : "";
    out.push_back({{"name", m.name}, {"description", desc}, {"sinks", m.sinks}, {"available", true}});
  }
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : out)
    std::printf("%-22s %s\n", m["name"].get<std::string>().c_str(), m["description"].get<std::string>().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"copyscope: trace how Linux moves file data (read+write, sendfile, splice, ...) and compare it "
               "with the textbook"};
  app.footer(kExamples);
  app.require_subcommand(0, 1);

  bool list_json = false;
  auto* list = app.add_subcommand("list", "the transfer methods, one line each");
  list->add_flag("--json", list_json, "print JSON");

  std::string method;
  CommonOptions run_opts;
  auto* run = app.add_subcommand("run", "run one method under the tracer and show what the kernel did");
  run->add_option("method", method, "method name (see 'copyscope list')")->required();
  add_common(run, run_opts);
  run->footer(kExamples);

  std::vector<std::string> methods;
  bool all = false;
  CommonOptions cmp_opts;
  auto* compare = app.add_subcommand("compare", "run several methods with one set of parameters, side by side");
  compare->add_option("methods", methods, "methods to compare");
  compare->add_flag("--all", all, "every available method");
  add_common(compare, cmp_opts);
  compare->footer(kExamples);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);

  try {
    if (*list) return cmd_list(list_json);
    if (*run) {
      Summary s = run_one(params_from(method, run_opts), run_opts, false);
      if (run_opts.json)
        std::cout << to_json(s).dump(2) << "\n";
      else
        std::cout << format_summary(s);
      return 0;
    }
    // No subcommand: the headless demo compares every method (the GUI arrives with issue 4).
    CommonOptions& o = cmp_opts;
    if (!*compare || all || methods.empty()) {
      methods.clear();
      for (const auto& m : scenario::kMethods) methods.emplace_back(m.name);
    }
    std::vector<RunParams> plans;
    for (const auto& m : methods) {
      RunParams p = params_from(m, o);
      validate(p);
      plans.push_back(p);
    }
    std::vector<Summary> rows;
    for (const auto& p : plans) rows.push_back(run_one(p, o, !o.json));
    if (o.json) {
      json arr = json::array();
      for (const auto& s : rows) arr.push_back(to_json(s));
      std::cout << arr.dump(2) << "\n";
    } else {
      std::cout << format_compare_table(rows);
    }
    return 0;
  } catch (const RunError& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return e.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return 1;
  }
}
