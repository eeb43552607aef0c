#include "cli/common.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/output.h"
#include "cli/progress.h"
#include "export/csv.h"
#include "export/report.h"
#include "export/trace.h"
#include "launch/runner.h"
#include "model/size.h"
#include "model/textbook.h"

namespace copyscope::cli {

void add_common(CLI::App* app, CommonOptions& o) {
  app->add_option("--size", o.size, "bytes to transfer, with K/M/G suffix")->capture_default_str();
  app->add_option("--buffer", o.buffer,
                  "user buffer / chunk size (at most --size: a larger one is clamped, and the run says so)")
      ->capture_default_str();
  app->add_option("--cache", o.cache, "source file's page-cache state: cold or warm")->capture_default_str();
  app->add_option("--sink", o.sink, "where the data goes: tcp, file, pipe or null (default: the method's first)");
  // 0 would stop every scenario before it starts: refused rather than given a meaning.
  app->add_option("--timeout", o.timeout, "seconds before a scenario is stopped (1 to 86400)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  app->add_flag("--json", o.json, "print JSON (the documented contract) instead of a table");
  add_export_options(app, o);
}

void add_export_options(CLI::App* app, CommonOptions& o) {
  app->add_option("--trace", o.trace,
                  "write a Chrome Trace Event JSON file (ui.perfetto.dev; 'copyscope replay' reopens it)");
  app->add_option("--csv", o.csv, "write a CSV file: one row per run, every counter a column");
  app->add_option("--report", o.report, "write a report (.md or .html) with PNG charts beside it");
}

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string with_method(const std::string& path, const std::string& method) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + method;
  return path.substr(0, dot) + "." + method + path.substr(dot);
}

}  // namespace

void check_export_paths(const CommonOptions& o) {
  for (const std::string* p : {&o.trace, &o.csv, &o.report}) {
    if (p->empty()) continue;
    const std::string dir = parent_dir(*p);
    if (access(dir.c_str(), W_OK) != 0)
      usage_error("cannot write " + *p + ": directory " + dir + " " + std::strerror(errno));
  }
  if (!o.report.empty()) {
    auto ends = [&](const char* ext) {
      const std::string e = ext;
      return o.report.size() >= e.size() && o.report.compare(o.report.size() - e.size(), e.size(), e) == 0;
    };
    if (!ends(".md") && !ends(".html") && !ends(".htm"))
      usage_error("--report " + o.report + ": the name must end in .md or .html");
  }
}

void write_exports(const CommonOptions& o, const std::vector<RunOutcome>& runs) {
  try {
    if (!o.trace.empty())
      for (const auto& r : runs) {
        const std::string path = runs.size() == 1 ? o.trace : with_method(o.trace, r.run.params.method);
        write_trace(r.run, r.summary, path);
        if (!o.json) std::fprintf(stderr, "copyscope: wrote trace %s\n", path.c_str());
      }
    std::vector<Summary> summaries;
    std::vector<Run> all;
    for (const auto& r : runs) summaries.push_back(r.summary);
    if (!o.csv.empty()) {
      write_csv(summaries, o.csv);
      if (!o.json) std::fprintf(stderr, "copyscope: wrote %s\n", o.csv.c_str());
    }
    if (!o.report.empty()) {
      for (const auto& r : runs) all.push_back(r.run);
      write_report(all, summaries, o.report);
      if (!o.json) std::fprintf(stderr, "copyscope: wrote report %s\n", o.report.c_str());
    }
  } catch (const std::runtime_error& e) {
    throw RunError(2, e.what());
  }
}

void report_outcome(const CommonOptions& o, const RunOutcome& r) {
  write_exports(o, {r});
  if (o.json)
    std::cout << to_json(r.summary).dump(2) << "\n";
  else
    std::cout << format_summary(r.summary);
}

void export_partial_and_rethrow(const CommonOptions& o, std::vector<RunOutcome> done, const RunError& e) {
  if (e.partial && (!o.trace.empty() || !o.csv.empty() || !o.report.empty())) {
    RunOutcome partial;
    partial.run = *e.partial;
    partial.summary = summarize(partial.run, Textbook::builtin().find(partial.run.params.method));
    done.push_back(std::move(partial));
    try {
      write_exports(o, done);
      std::fprintf(stderr, "copyscope: the exports hold what was captured, marked partial\n");
    } catch (const RunError& write_error) {
      std::fprintf(stderr, "copyscope: %s\n", write_error.what());
    }
  }
  throw e;
}

void usage_error(const std::string& msg) {
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

RunOutcome run_one(const RunParams& p, const CommonOptions& o, bool progress, const std::string& label) {
  RunRequest req;
  req.params = p;
  req.timeout_s = o.timeout;
  ProgressLine line(progress, label.empty() ? p.method : label);
  req.on_progress = [&line](const RunProgress& at) { line.update(at); };
  RunOutcome out;
  CancelToken cancel;
  interrupt::CancelOnInterrupt on_signal(cancel);
  out.run = run_scenario(req, cancel);
  out.summary = summarize(out.run, Textbook::builtin().find(out.run.params.method));
  return out;
}

}  // namespace copyscope::cli
