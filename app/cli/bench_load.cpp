// copyscope bench load: how long opening a saved trace takes, and how much
// memory the loaded run keeps.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/common.h"
#include "export/trace.h"
#include "model/synthetic.h"

namespace copyscope::cli {

using nlohmann::json;

namespace {

struct BenchLoadOptions {
  std::string file;
  size_t events = 1'000'000;
  bool json = false;
};

// Resident set size of this process, from /proc/self/statm.
uint64_t rss_bytes() {
  unsigned long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// A trace written for the benchmark, removed however the command ends.
class TempTrace {
 public:
  explicit TempTrace(size_t events) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/copyscope-bench-load-XXXXXX";
    const int fd = mkstemp(templ.data());
    if (fd < 0) throw RunError(2, "cannot create a temporary file in " + templ.substr(0, templ.rfind('/')));
    close(fd);
    try {
      Run run = make_synthetic_run(events);
      write_trace(run, summarize(run, Textbook::builtin().find(run.params.method)), templ);
    } catch (...) {
      std::remove(templ.c_str());
      throw;
    }
    path_ = templ;
  }
  ~TempTrace() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  TempTrace(const TempTrace&) = delete;
  TempTrace& operator=(const TempTrace&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int bench_load(const BenchLoadOptions& o) {
  if (o.file.empty() && o.events == 0) usage_error("--events must be at least 1");
  std::unique_ptr<TempTrace> temp;
  std::string path = o.file;
  if (path.empty()) {
    if (!o.json) std::fprintf(stderr, "copyscope bench load: writing a synthetic trace of %zu events...\n", o.events);
    temp = std::make_unique<TempTrace>(o.events);
    path = temp->path();
    if (interrupt::requested()) return 130;
  }
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  // Whatever writing the trace left behind goes back to the system first.
  malloc_trim(0);
  const uint64_t rss0 = rss_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  Run run;
  try {
    run = load_trace(path);
  } catch (const TraceFileError& e) {
    std::fprintf(stderr, "copyscope: %s\n", e.what());
    return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  malloc_trim(0);  // the parser's temporary buffers are freed: count what the run keeps
  const uint64_t rss1 = rss_bytes();
  const size_t events = run.events.size();
  const double per_event =
      events ? static_cast<double>(rss1 > rss0 ? rss1 - rss0 : 0) / static_cast<double>(events) : 0;
  json j = {{"file", o.file.empty() ? "(synthetic, removed)" : o.file},
            {"file_bytes", file_bytes},
            {"events", events},
            {"seconds", std::round(seconds * 1000) / 1000},
            {"bytes_per_event", std::round(per_event * 10) / 10},
            {"rss_growth_bytes", rss1 > rss0 ? rss1 - rss0 : 0}};
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%10s %10s %9s %16s\n", "events", "file MiB", "seconds", "bytes/event");
  std::printf("%10zu %10.1f %9.3f %16.1f\n", events, static_cast<double>(file_bytes) / 1048576.0, seconds, per_event);
  std::printf("bytes/event = resident memory growth (/proc/self/statm) after the load, temporary buffers freed\n");
  return 0;
}

}  // namespace

CLI::App* add_bench_load(CLI::App& bench, int& exit_code) {
  static BenchLoadOptions opt;
  auto* cmd = bench.add_subcommand("load", "time and memory to open a saved trace");
  cmd->add_option("FILE", opt.file, "a trace written by 'copyscope run --trace' (default: a synthetic one)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--events", opt.events, "events in the synthetic trace when no FILE is given")->capture_default_str();
  cmd->add_flag("--json", opt.json, "print one JSON object");
  cmd->footer(
      "\nWithout FILE a synthetic run is written to a temporary trace (not timed) and removed afterwards.\n\n"
      "EXAMPLES\n  copyscope bench load\n  copyscope bench load run.json --json\n");
  cmd->callback([&exit_code] { exit_code = bench_load(opt); });
  return cmd;
}

}  // namespace copyscope::cli
