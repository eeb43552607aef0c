#include "cli/common.h"

#include <cstdio>

#include "model/size.h"
#include "model/textbook.h"
#include "scenario/runner.h"

namespace copyscope::cli {

void add_common(CLI::App* app, CommonOptions& o) {
  app->add_option("--size", o.size, "bytes to transfer, with K/M/G suffix")->capture_default_str();
  app->add_option("--buffer", o.buffer, "user buffer / chunk size")->capture_default_str();
  app->add_option("--cache", o.cache, "source file's page-cache state: cold or warm")->capture_default_str();
  app->add_option("--sink", o.sink, "where the data goes: tcp, file, pipe or null (default: the method's first)");
  app->add_option("--timeout", o.timeout, "seconds before a scenario is stopped")->capture_default_str();
  app->add_flag("--json", o.json, "print JSON (the documented contract) instead of a table");
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

RunOutcome run_one(const RunParams& p, const CommonOptions& o, bool progress) {
  RunRequest req;
  req.params = p;
  req.timeout_s = o.timeout;
  if (progress) std::fprintf(stderr, "copyscope: running %s (%s)...\n", p.method.c_str(), format_size(p.size).c_str());
  RunOutcome out;
  out.run = run_scenario(req);
  out.summary = summarize(out.run, Textbook::builtin().find(out.run.params.method));
  return out;
}

}  // namespace copyscope::cli
