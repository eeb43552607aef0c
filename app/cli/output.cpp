#include "cli/output.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "export/csv.h"
#include "export/output_file.h"
#include "export/report.h"
#include "export/trace.h"
#include "methods.h"
#include "model/format.h"
#include "model/textbook.h"

namespace copyscope {

namespace {

std::string fig(const std::optional<double>& v) { return v ? format_figure(*v) : "-"; }

std::string mark(double measured, const std::optional<double>& tb) {
  if (!tb) return " ";
  return static_cast<long long>(measured + 0.5) == static_cast<long long>(*tb + 0.5) ? "=" : "*";
}

}  // namespace

std::string format_summary(const Summary& s) {
  std::ostringstream o;
  const Counts& c = s.counters;
  char line[256];
  if (s.partial)
    o << "PARTIAL RUN (interrupted or timed out): the scenario never reported its totals; the counters are what "
         "the kernel saw until then\n";
  o << s.params.method << ": " << format_bytes(s.bytes) << " in " << format_duration(static_cast<double>(s.duration_ns))
    << " (" << format_rate(s.throughput_mib_s * kMiB) << "), sink " << s.params.sink << ", " << s.params.cache
    << " cache, kernel " << s.kernel.release << "\n";
  o << "  syscalls:";
  for (const auto& [name, n] : c.syscalls) o << " " << name << "=" << format_count(n);
  o << "\n";
  o << "  mode switches " << format_count(c.mode_switches) << ", scheduler context switches "
    << format_count(c.context_switches) << ", page faults " << format_count(c.page_faults)
    << ", page-cache pages added " << format_count(c.page_cache_adds) << "\n";
  o << "  CPU copies " << format_count(c.cpu_copies) << " (" << format_bytes(c.cpu_copy_bytes) << ", "
    << s.kernel.copy_accounting
    << (c.copies_measured ? "; attribution would say " + format_bytes(c.attributed_cpu_copy_bytes) : std::string())
    << "), disk DMA " << format_bytes(c.disk_dma_bytes) << " in " << format_count(c.dma_ops) << " requests, NIC DMA "
    << format_bytes(c.nic_dma_bytes) << ", loopback hand-off " << format_bytes(c.loopback_bytes) << "\n";
  o << "  events captured " << format_count(c.events_captured) << ", dropped " << format_count(c.events_dropped)
    << "\n";
  o << "  per transfer unit (" << format_count(s.units) << " units)   measured   textbook\n";
  auto per_unit = [&](const char* what, double measured, const std::optional<double>& tb) {
    std::snprintf(line, sizeof line, "    %-27s %8s %1s %8s\n", what, format_figure(measured).c_str(),
                  mark(measured, tb).c_str(), fig(tb).c_str());
    o << line;
  };
  per_unit("mode switches", s.per_call.mode_switches, s.textbook.mode_switches);
  per_unit("CPU copies", s.per_call.cpu_copies, s.textbook.cpu_copies);
  per_unit("DMA copies", s.per_call.dma_copies, s.textbook.dma_copies);
  if (!s.deviations.empty()) o << "  why it differs (* above):\n";
  for (const auto& d : s.deviations) o << "    - " << d.what << ": " << d.why.en << "\n";
  for (const auto& n : s.notes) o << "  note: " << n.en << "\n";
  if (s.params.method == kTraceMethod) {
    o << "  flows (" << s.flows.size() << "):\n";
    for (const DataFlow& f : s.flows) {
      o << "    " << f.method << ": " << format_bytes(f.bytes) << " in " << format_count(f.calls) << " calls, "
        << fd_kind_name(f.source.kind) << " " << f.source.name << " -> " << fd_kind_name(f.destination.kind) << " "
        << f.destination.name << "\n";
      o << "      per unit: mode switches " << format_figure(f.mode_switches) << ", CPU copies "
        << format_figure(f.cpu_copies) << ", DMA copies " << format_figure(f.dma_copies);
      if (f.textbook.mode_switches || f.textbook.cpu_copies || f.textbook.dma_copies)
        o << " (textbook " << fig(f.textbook.mode_switches) << " / " << fig(f.textbook.cpu_copies) << " / "
          << fig(f.textbook.dma_copies) << ")";
      o << "\n      " << f.reason << "\n";
    }
  }
  if (s.sink_report.is_object() && s.sink_report.contains("received_bytes"))
    o << "  receiver: " << format_bytes(s.sink_report["received_bytes"].get<uint64_t>()) << " in "
      << format_count(s.sink_report.value("receive_calls", uint64_t{0})) << " calls, its CPU copies "
      << format_bytes(s.receiver.cpu_copy_bytes) << "\n";
  return o.str();
}

std::string format_compare_table(const std::vector<Summary>& rows) {
  std::ostringstream o;
  char line[320];
  std::snprintf(line, sizeof line, "%-20s %12s %9s %12s %12s %12s %9s %8s %8s\n", "method", "throughput", "syscalls",
                "mode sw/u", "CPU cp/u", "DMA/u", "ctx sw", "faults", "dropped");
  o << line;
  for (const Summary& s : rows) {
    uint64_t calls = 0;
    for (const auto& kv : s.counters.syscalls) calls += kv.second;
    auto cell = [](double m, const std::optional<double>& tb) {
      return format_figure(m) + mark(m, tb) + "(" + fig(tb) + ")";
    };
    std::snprintf(line, sizeof line, "%-20s %12s %9s %12s %12s %12s %9s %8s %8s\n", s.params.method.c_str(),
                  format_rate(s.throughput_mib_s * kMiB).c_str(), format_count(calls).c_str(),
                  cell(s.per_call.mode_switches, s.textbook.mode_switches).c_str(),
                  cell(s.per_call.cpu_copies, s.textbook.cpu_copies).c_str(),
                  cell(s.per_call.dma_copies, s.textbook.dma_copies).c_str(),
                  format_count(s.counters.context_switches).c_str(), format_count(s.counters.page_faults).c_str(),
                  format_count(s.counters.events_dropped).c_str());
    o << line;
  }
  o << "per unit: measured, '=' matches the textbook figure in (), '*' differs (see 'copyscope run METHOD' for why)\n";
  if (!rows.empty())
    o << "CPU copies are " << rows.front().kernel.copy_accounting << " on kernel " << rows.front().kernel.release
      << "\n";
  return o.str();
}

namespace cli {

namespace {

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// With several runs each gets its own trace: FILE.METHOD.json for a method of
// the table (a compare's methods, checked before the runs), FILE.N.json
// otherwise, so a name read from a trace never reaches a path.
std::string trace_path(const std::string& path, const std::string& method, size_t index, size_t runs) {
  if (runs == 1) return path;
  const std::string tag = scenario::method_info(method) ? method : std::to_string(index + 1);
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + tag;
  return path.substr(0, dot) + "." + tag + path.substr(dot);
}

struct ExportFile {
  std::string path, what;
};

std::vector<ExportFile> labelled_export_files(const CommonOptions& o, const std::vector<std::string>& methods) {
  std::vector<ExportFile> files;
  if (!o.trace.empty())
    for (size_t i = 0; i < methods.size(); ++i)
      files.push_back({trace_path(o.trace, methods[i], i, methods.size()), "trace"});
  if (!o.csv.empty()) files.push_back({o.csv, "CSV"});
  if (!o.report.empty())
    for (const std::string& f : report_files(o.report, methods.size()))
      files.push_back({f, f == o.report ? "report" : "report chart"});
  return files;
}

}  // namespace

std::vector<std::string> export_files(const CommonOptions& o, const std::vector<std::string>& methods) {
  std::vector<std::string> paths;
  for (const ExportFile& f : labelled_export_files(o, methods)) paths.push_back(f.path);
  return paths;
}

void check_outputs(const CommonOptions& o, const std::vector<std::string>& methods) {
  if (!o.report.empty() && !ends_with(o.report, ".md") && !ends_with(o.report, ".html") && !ends_with(o.report, ".htm"))
    usage_error("--report " + o.report + ": the name must end in .md or .html");
  const std::vector<ExportFile> files = labelled_export_files(o, methods);
  for (size_t i = 0; i < files.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (files[j].path == files[i].path)
        usage_error("the " + files[j].what + " and the " + files[i].what + " would both be written to " +
                    files[i].path + ": give them different names");
    try {
      check_output_path(files[i].path, files[i].what);
    } catch (const OutputError& e) {
      usage_error(e.what());
    }
  }
}

std::vector<std::string> write_outputs(const CommonOptions& o, const std::vector<const RunOutcome*>& runs) {
  std::vector<std::string> failed;
  auto attempt = [&](const std::string& done, auto&& write) {
    try {
      write();
      if (!o.json) std::fprintf(stderr, "copyscope: wrote %s\n", done.c_str());
    } catch (const std::exception& e) {
      failed.push_back(e.what());
    }
  };
  if (!o.trace.empty())
    for (size_t i = 0; i < runs.size(); ++i) {
      const std::string path = trace_path(o.trace, runs[i]->run.params.method, i, runs.size());
      attempt("trace " + path, [&] { write_trace(runs[i]->run, runs[i]->summary, path); });
    }
  std::vector<Summary> summaries;
  for (const RunOutcome* r : runs) summaries.push_back(r->summary);
  if (!o.csv.empty()) attempt(o.csv, [&] { write_csv(summaries, o.csv); });
  if (!o.report.empty())
    attempt("report " + o.report, [&] {
      std::vector<const Run*> all;
      for (const RunOutcome* r : runs) all.push_back(&r->run);
      write_report(all, summaries, o.report, o.lang);
    });
  return failed;
}

std::vector<std::string> write_outputs(const CommonOptions& o, const std::vector<RunOutcome>& runs) {
  std::vector<const RunOutcome*> all;
  for (const RunOutcome& r : runs) all.push_back(&r);
  return write_outputs(o, all);
}

namespace {

int report_failures(const std::vector<std::string>& failed, const char* which) {
  for (const std::string& f : failed) std::fprintf(stderr, "copyscope: %s (%s)\n", f.c_str(), which);
  return failed.empty() ? 0 : 1;
}

}  // namespace

int finish_run(const CommonOptions& o, const RunOutcome& r) {
  const std::vector<std::string> failed =
      write_outputs(o, std::vector<const RunOutcome*>{&r});  // no copy of the events
  if (o.json)
    std::cout << to_json(r.summary).dump(2) << "\n";
  else
    std::cout << format_summary(r.summary);
  std::cout.flush();
  return report_failures(failed, "the run itself finished; its result is above");
}

int finish_compare(const CommonOptions& o, const std::vector<RunOutcome>& runs) {
  const std::vector<std::string> failed = write_outputs(o, runs);
  std::vector<Summary> rows;
  for (const auto& r : runs) rows.push_back(r.summary);
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : rows) arr.push_back(to_json(s));
    std::cout << arr.dump(2) << "\n";
  } else {
    std::cout << format_compare_table(rows);
  }
  std::cout.flush();
  return report_failures(failed, "the runs themselves finished; their results are above");
}

void export_partial_then_rethrow(const CommonOptions& o, std::vector<RunOutcome> done, const RunError& e) {
  if (e.partial && (!o.trace.empty() || !o.csv.empty() || !o.report.empty())) {
    RunOutcome partial;
    partial.run = std::move(*e.partial);  // the error is rethrown without its events
    partial.summary = summarize(partial.run, Textbook::builtin().find(partial.run.params.method));
    done.push_back(std::move(partial));
    const std::vector<std::string> failed = write_outputs(o, done);
    for (const std::string& f : failed) std::fprintf(stderr, "copyscope: %s\n", f.c_str());
    if (failed.empty()) std::fprintf(stderr, "copyscope: the exports hold what was captured, marked partial\n");
  }
  throw e;
}

}  // namespace cli

}  // namespace copyscope
