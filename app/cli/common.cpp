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
  app->add_option("--max-events", o.max_events,
                  "events kept in memory (56 bytes each); past it the log keeps the events of one 1 ms window in "
                  "2, 4, ... and counts stay exact")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, kMaxLoggedEvents));
  app->add_flag("--json", o.json, "print JSON (the documented contract) instead of a table");
  add_export_options(app, o);
}

void add_export_options(CLI::App* app, CommonOptions& o) {
  app->add_option("--trace", o.trace,
                  "write a Chrome Trace Event JSON file (ui.perfetto.dev; 'copyscope replay' reopens it)");
  app->add_option("--csv", o.csv, "write a CSV file: one row per run, every counter a column");
  app->add_option("--report", o.report,
                  "write a report: FILE.html is one self-contained page (charts and data-path diagrams inline), "
                  "FILE.md is Markdown with FILE-*.svg pictures beside it");
  app->add_option("--lang", o.lang, "language of the report: en or zh (简体中文), e.g. --report r.html --lang zh")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) { return is_report_lang(v) ? std::string() : "'" + v + "' is not en or zh"; }, "en|zh"));
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
  req.max_events = o.max_events;
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
