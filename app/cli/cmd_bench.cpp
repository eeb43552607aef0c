// copyscope bench: does tracing distort what it measures?
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <bpf/bpf.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "cli/bench_pipeline.h"
#include "cli/common.h"
#include "export/trace.h"
#include "launch/runner.h"
#include "methods.h"
#include "model/size.h"
#include "model/textbook.h"

namespace copyscope::cli {

using nlohmann::json;

namespace {

struct BenchOptions {
  unsigned pairs = 5;
  // A run of 256 MiB lasts about 0.1 s here: one hiccup of the VM moved a
  // pair's ratio anywhere from 0.6 to 1.3. Runs of 1 GiB keep it steadier.
  std::string size = "1G";
  // one-cpu: the scenario's processes and copyscope's threads share the
  // lowest CPU this process may use; os: the scheduler places them.
  std::string placement = "one-cpu";
  bool json = false;
};

// Binds this thread, and so the threads and processes it starts, to the
// lowest CPU of its affinity mask; the old mask comes back at scope exit.
//
// Why: on this 2-vCPU VM a run whose sender and receiver sit on different
// CPUs wakes the other one by an inter-processor interrupt through the
// hypervisor. Its throughput then swung from 1300 to 2000 MiB/s between
// identical untraced sendfile runs, and the median of 5 pairs from 0.75 to
// 1.04; on one CPU the pairs stayed within 0.96-1.03. One CPU is also the
// strict case: copyscope's capture cannot run on an idle core, so every
// nanosecond of it is taken from the scenario.
class OneCpu {
 public:
  OneCpu() {
    CPU_ZERO(&old_);
    if (sched_getaffinity(0, sizeof old_, &old_))
      throw RunError(1, std::string("sched_getaffinity: ") + std::strerror(errno));
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &old_)) {
        cpu_ = c;
        break;
      }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    if (sched_setaffinity(0, sizeof one, &one))
      throw RunError(1, "cannot bind to CPU " + std::to_string(cpu_) + ": " + std::strerror(errno));
  }
  ~OneCpu() { sched_setaffinity(0, sizeof old_, &old_); }
  OneCpu(const OneCpu&) = delete;
  OneCpu& operator=(const OneCpu&) = delete;
  int cpu() const { return cpu_; }

 private:
  cpu_set_t old_;
  int cpu_ = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mib_s(const Run& r) {
  return r.result.duration_ns ? (r.result.bytes / 1048576.0) / (r.result.duration_ns / 1e9) : 0.0;
}

// Untraced and traced runs of one scenario, interleaved, the order alternating
// so that neither side always runs on a fresher machine.
json overhead_row(const std::string& method, uint64_t buffer, uint64_t size, unsigned pairs, bool progress) {
  std::vector<double> untraced, traced, ratios, cpu_ratios;
  uint64_t dropped = 0, events = 0;
  // Where the traced runs' syscalls ran: shows what placement did. Not every
  // event: a disk completion is made wherever its interrupt was taken.
  std::set<unsigned> syscall_cpus;
  for (unsigned i = 0; i < pairs; ++i) {
    if (progress)
      std::fprintf(stderr, "copyscope bench: %s buffer %s, pair %u/%u\n", method.c_str(), format_size(buffer).c_str(),
                   i + 1, pairs);
    RunRequest req;
    req.params = {method, size, buffer, "warm", "tcp"};
    double u = 0, t = 0, u_cpu = 0, t_cpu = 0;
    for (int side = 0; side < 2; ++side) {
      req.traced = (side == 0) == (i % 2 == 1);
      CancelToken cancel;
      interrupt::CancelOnInterrupt on_signal(cancel);
      Run r = run_scenario(req, cancel);
      // CPU per byte, ours included when traced: what tracing costs, apart
      // from where the scheduler happened to put three threads on two CPUs.
      const double cpu = r.result.bytes ? double(r.result.cpu_ns + r.result.capture_cpu_ns) / r.result.bytes : 0;
      if (req.traced) {
        t = mib_s(r);
        t_cpu = cpu;
        dropped += r.sender().events_dropped + r.receiver().events_dropped;
        events += r.sender().events_captured + r.receiver().events_captured;
        for (const Event& e : r.events)
          if (e.type == CS_EV_SYSCALL) syscall_cpus.insert(e.cpu);
      } else {
        u = mib_s(r);
        u_cpu = cpu;
      }
    }
    untraced.push_back(u);
    traced.push_back(t);
    ratios.push_back(u > 0 ? t / u : 0);
    cpu_ratios.push_back(t_cpu > 0 ? u_cpu / t_cpu : 0);
  }
  auto round2 = [](double v) { return std::round(v * 100) / 100; };
  return {{"method", method},
          {"buffer", buffer},
          {"size", size},
          {"pairs", pairs},
          {"untraced_mib_s", round2(median(untraced))},
          {"traced_mib_s", round2(median(traced))},
          {"ratio", std::round(median(ratios) * 1000) / 1000},
          // The spread of the pairs: on a noisy machine, the median alone hides how far one run is from another.
          {"ratio_min", std::round(*std::min_element(ratios.begin(), ratios.end()) * 1000) / 1000},
          {"ratio_max", std::round(*std::max_element(ratios.begin(), ratios.end()) * 1000) / 1000},
          {"cpu_ratio", std::round(median(cpu_ratios) * 1000) / 1000},
          {"events_per_run", pairs ? events / pairs : 0},
          {"events_dropped", dropped},
          {"syscall_cpus", syscall_cpus}};
}

int overhead(const BenchOptions& o) {
  std::string err;
  auto size = parse_size(o.size, &err);
  if (!size) usage_error("--size " + err);
  if (o.pairs == 0) usage_error("--pairs must be at least 1");
  if (o.placement != "one-cpu" && o.placement != "os")
    usage_error("--placement must be one-cpu or os, not '" + o.placement + "'");
  std::unique_ptr<OneCpu> pin;
  if (o.placement == "one-cpu") pin = std::make_unique<OneCpu>();
  const std::string placement = pin ? "one-cpu" : "os";
  json rows = json::array();
  rows.push_back(overhead_row("read_write", 4096, *size, o.pairs, !o.json));
  rows.push_back(overhead_row("read_write", 65536, *size, o.pairs, !o.json));
  rows.push_back(overhead_row("sendfile", 65536, *size, o.pairs, !o.json));
  for (auto& r : rows) {
    r["placement"] = placement;
    if (pin) r["cpu"] = pin->cpu();
  }
  if (o.json) {
    std::cout << rows.dump(2) << "\n";
    return 0;
  }
  std::printf("%-12s %8s %14s %12s %7s %13s %9s %10s %8s\n", "method", "buffer", "untraced MiB/s", "traced MiB/s",
              "ratio", "pairs range", "cpu ratio", "events", "dropped");
  for (const auto& r : rows)
    std::printf("%-12s %8s %14.1f %12.1f %7.3f  %5.3f-%5.3f %9.3f %10llu %8llu\n",
                r["method"].get<std::string>().c_str(), format_size(r["buffer"].get<uint64_t>()).c_str(),
                r["untraced_mib_s"].get<double>(), r["traced_mib_s"].get<double>(), r["ratio"].get<double>(),
                r["ratio_min"].get<double>(), r["ratio_max"].get<double>(), r["cpu_ratio"].get<double>(),
                (unsigned long long)r["events_per_run"].get<uint64_t>(),
                (unsigned long long)r["events_dropped"].get<uint64_t>());
  std::printf(
      "ratio = traced / untraced throughput, median of %u interleaved pairs, warm cache, tcp loopback\n"
      "cpu ratio = untraced / traced CPU per byte (scenario processes, plus copyscope's own when traced)\n",
      o.pairs);
  if (pin)
    std::printf(
        "placement: the scenario's processes and copyscope's threads all on CPU %d (--placement os: the "
        "scheduler's choice)\n",
        pin->cpu());
  else
    std::printf("placement: wherever the scheduler put them\n");
  return 0;
}

// What a leak would grow: this process's fds and memory, the system's BPF
// objects, and copyscope temp directories.
struct Footprint {
  uint64_t open_fds = 0, rss_kib = 0, bpf_progs = 0, bpf_maps = 0, temp_dirs = 0;
};

Footprint footprint() {
  namespace fs = std::filesystem;
  Footprint f;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); ++it) ++f.open_fds;
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0, resident = 0;
    if (std::fscanf(statm, "%lu %lu", &size, &resident) == 2)
      f.rss_kib = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
    std::fclose(statm);
  }
  // The kernel frees programs and maps after an RCU grace period or from a
  // workqueue, not at close(): wait until the counts settle.
  auto count_bpf = [&f] {
    f.bpf_progs = f.bpf_maps = 0;
    for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) ++f.bpf_progs;
    for (__u32 id = 0; bpf_map_get_next_id(id, &id) == 0;) ++f.bpf_maps;
  };
  count_bpf();
  for (int i = 0; i < 30; ++i) {
    const uint64_t progs = f.bpf_progs, maps = f.bpf_maps;
    usleep(100 * 1000);
    count_bpf();
    if (f.bpf_progs == progs && f.bpf_maps == maps) break;
  }
  const char* tmp = std::getenv("TMPDIR");
  for (auto it = fs::directory_iterator(tmp && *tmp ? tmp : "/tmp", ec); !ec && it != fs::directory_iterator(); ++it)
    if (it->path().filename().string().rfind("copyscope.", 0) == 0) ++f.temp_dirs;
  return f;
}

struct SoakOptions {
  unsigned iterations = 10;
  std::string size = "4M";
  bool json = false;
};

// compare --all, again and again, in one process; one row per iteration.
int soak(const SoakOptions& o) {
  std::string err;
  auto size = parse_size(o.size, &err);
  if (!size) usage_error("--size " + err);
  if (o.iterations == 0) usage_error("--iterations must be at least 1");
  json rows = json::array();
  auto row = [](unsigned i, const Footprint& f, uint64_t runs) {
    return json{{"iteration", i},           {"runs", runs},           {"open_fds", f.open_fds},  {"rss_kib", f.rss_kib},
                {"bpf_progs", f.bpf_progs}, {"bpf_maps", f.bpf_maps}, {"temp_dirs", f.temp_dirs}};
  };
  const std::string bin_dir = std::filesystem::path(scenario_binary()).parent_path().string();
  rows.push_back(row(0, footprint(), 0));
  for (unsigned i = 1; i <= o.iterations; ++i) {
    uint64_t runs = 0;
    for (const auto& m : scenario::kMethods) {
      if (!scenario::unavailable_reason(m, bin_dir).empty()) continue;
      RunRequest req;
      req.params = {std::string(m.name), *size, std::min<uint64_t>(*size, 64 * 1024), "cold", ""};
      CancelToken cancel;
      interrupt::CancelOnInterrupt on_signal(cancel);
      run_scenario(req, cancel);
      ++runs;
    }
    rows.push_back(row(i, footprint(), runs));
    if (!o.json) std::fprintf(stderr, "copyscope bench soak: iteration %u/%u\n", i, o.iterations);
  }
  if (o.json) {
    std::cout << rows.dump(2) << "\n";
    return 0;
  }
  std::printf("%9s %5s %8s %9s %9s %8s %9s\n", "iteration", "runs", "open fds", "RSS KiB", "BPF progs", "BPF maps",
              "temp dirs");
  for (const auto& r : rows)
    std::printf("%9u %5llu %8llu %9llu %9llu %8llu %9llu\n", r["iteration"].get<unsigned>(),
                (unsigned long long)r["runs"].get<uint64_t>(), (unsigned long long)r["open_fds"].get<uint64_t>(),
                (unsigned long long)r["rss_kib"].get<uint64_t>(), (unsigned long long)r["bpf_progs"].get<uint64_t>(),
                (unsigned long long)r["bpf_maps"].get<uint64_t>(), (unsigned long long)r["temp_dirs"].get<uint64_t>());
  return 0;
}

struct MemoryOptions {
  std::string method = "read_write";
  std::string size = "2G";
  std::string buffer = "4K";
  std::string cache = "warm";
  std::string sink = "tcp";
  size_t max_events = kDefaultMaxEvents;
  bool trace = true;
  bool json = false;
};

// A line of /proc/self/status in bytes ("VmHWM": the peak resident set so
// far, "VmRSS": now); 0 when it cannot be read.
uint64_t status_bytes(const char* key) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kib = 0;
  const size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') {
      kib = std::strtoull(line + n + 1, nullptr, 10);
      break;
    }
  std::fclose(f);
  return kib * 1024;
}

// One traced run as `run --trace` makes it (capture, summary, the trace
// written to a temporary file and removed), and the peak resident memory it
// took: what bounds a run's memory shows here.
int memory(const MemoryOptions& o) {
  std::string err;
  RunRequest req;
  req.params.method = o.method;
  auto size = parse_size(o.size, &err);
  if (!size) usage_error("--size " + err);
  auto buffer = parse_size(o.buffer, &err);
  if (!buffer) usage_error("--buffer " + err);
  req.params.size = *size;
  req.params.buffer = *buffer;
  req.params.cache = o.cache;
  req.params.sink = o.sink;
  req.max_events = o.max_events;
  const uint64_t rss_before = status_bytes("VmRSS");
  const uint64_t peak_before = status_bytes("VmHWM");
  if (!o.json)
    std::fprintf(stderr, "copyscope bench memory: %s --size %s --buffer %s --cache %s%s...\n", o.method.c_str(),
                 o.size.c_str(), o.buffer.c_str(), o.cache.c_str(), o.trace ? " --trace" : "");
  CancelToken cancel;
  interrupt::CancelOnInterrupt on_signal(cancel);
  Run run = run_scenario(req, cancel);
  const uint64_t peak_run = status_bytes("VmHWM");
  const Summary summary = summarize(run, Textbook::builtin().find(run.params.method));
  uint64_t trace_bytes = 0;
  if (o.trace) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/copyscope-bench-memory-XXXXXX";
    const int fd = mkstemp(templ.data());
    if (fd < 0) throw RunError(2, "cannot create a temporary file in " + templ.substr(0, templ.rfind('/')));
    close(fd);
    try {
      write_trace(run, summary, templ);
      std::error_code ec;
      trace_bytes = std::filesystem::file_size(templ, ec);
    } catch (...) {
      std::remove(templ.c_str());
      throw;
    }
    std::remove(templ.c_str());
  }
  const uint64_t peak = status_bytes("VmHWM");
  const uint64_t events = run.events.size();
  const uint64_t grown = peak > rss_before ? peak - rss_before : 0;
  const json out = {{"method", run.params.method},
                    {"params",
                     {{"size", run.params.size},
                      {"buffer", run.params.buffer},
                      {"cache", run.params.cache},
                      {"sink", run.params.sink}}},
                    {"trace", o.trace},
                    {"events", events},
                    {"events_left_out", run.thinned.events},
                    {"event_stride", run.event_stride},
                    {"events_captured", run.sender().events_captured + run.receiver().events_captured},
                    {"events_dropped", run.sender().events_dropped + run.receiver().events_dropped},
                    {"event_log_bytes", events * sizeof(Event)},
                    {"rss_before_bytes", rss_before},
                    {"peak_rss_before_bytes", peak_before},
                    {"peak_rss_after_capture_bytes", peak_run},
                    {"peak_rss_bytes", peak},
                    // The peak's growth over the resident memory before the run, per event.
                    {"bytes_per_event",
                     events ? std::round(static_cast<double>(grown) / static_cast<double>(events) * 10) / 10 : 0.0},
                    {"trace_file_bytes", trace_bytes}};
  if (o.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("events                   %14llu (dropped %llu)\n", (unsigned long long)events,
              (unsigned long long)out["events_dropped"].get<uint64_t>());
  if (run.event_stride > 1)
    std::printf("left out (memory budget) %14llu (1 ms windows kept: 1 in %u)\n",
                (unsigned long long)run.thinned.events, run.event_stride);
  std::printf("event log                %14s\n", format_size(events * sizeof(Event)).c_str());
  std::printf("peak RSS (VmHWM)         %14s (before the run %s resident)\n", format_size(peak).c_str(),
              format_size(rss_before).c_str());
  std::printf("peak RSS after capture   %14s\n", format_size(peak_run).c_str());
  std::printf("bytes per event          %14.1f (peak growth over the events)\n", out["bytes_per_event"].get<double>());
  if (o.trace) std::printf("trace file               %14s\n", format_size(trace_bytes).c_str());
  return 0;
}
}  // namespace

CLI::App* add_bench(CLI::App& app, int& exit_code) {
  static BenchOptions opt;
  auto* cmd = app.add_subcommand("bench", "performance benchmarks of copyscope itself");
  cmd->require_subcommand(1);
  auto* ov = cmd->add_subcommand("overhead", "throughput untraced vs traced (read_write 4K and 64K, sendfile)");
  ov->add_option("--pairs", opt.pairs, "untraced/traced pairs per row")->capture_default_str();
  ov->add_option("--size", opt.size, "bytes per run")->capture_default_str();
  ov->add_option("--placement", opt.placement,
                 "one-cpu: scenario and copyscope share one CPU (steady figures; tracing cannot hide on an idle "
                 "core); os: the scheduler places them")
      ->capture_default_str();
  ov->add_flag("--json", opt.json, "print a JSON array, one object per row");
  ov->footer(
      "\nEXAMPLES\n  copyscope bench overhead\n  copyscope bench overhead --pairs 7 --size 512M --json\n"
      "  copyscope bench overhead --placement os\n");
  ov->callback([&exit_code] { exit_code = overhead(opt); });

  static SoakOptions soak_opt;
  auto* sk =
      cmd->add_subcommand("soak", "compare every method again and again; show fds, memory, BPF objects, temp dirs");
  sk->add_option("--iterations", soak_opt.iterations, "rounds of every available method")->capture_default_str();
  sk->add_option("--size", soak_opt.size, "bytes per run")->capture_default_str();
  sk->add_flag("--json", soak_opt.json, "print a JSON array, one object per iteration (0 = before)");
  sk->callback([&exit_code] { exit_code = soak(soak_opt); });
  static MemoryOptions mem_opt;
  auto* mem = cmd->add_subcommand("memory", "peak resident memory and bytes per event of one traced run with --trace");
  mem->add_option("--method", mem_opt.method, "the method to run")->capture_default_str();
  mem->add_option("--size", mem_opt.size, "bytes to move")->capture_default_str();
  mem->add_option("--buffer", mem_opt.buffer, "bytes per call")->capture_default_str();
  mem->add_option("--cache", mem_opt.cache, "cold or warm")->capture_default_str();
  mem->add_option("--sink", mem_opt.sink, "tcp, file, pipe or null")->capture_default_str();
  mem->add_option("--max-events", mem_opt.max_events, "the event log's budget, as for run")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, kMaxLoggedEvents));
  mem->add_flag("!--no-trace", mem_opt.trace, "capture and summarize only, write no trace");
  mem->add_flag("--json", mem_opt.json, "print one JSON object");
  mem->footer(
      "\nEXAMPLES\n  copyscope bench memory\n  copyscope bench memory --size 4G --buffer 4K --json\n"
      "  copyscope bench memory --method sendfile --size 1G --no-trace\n"
      "  copyscope bench memory --size 2G --buffer 512   (past the event budget)\n");
  mem->callback([&exit_code] { exit_code = memory(mem_opt); });
  add_bench_pipeline(cmd, exit_code);
  add_bench_gui(*cmd, exit_code);
  add_bench_load(*cmd, exit_code);
  return cmd;
}

}  // namespace copyscope::cli
