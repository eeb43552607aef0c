#include "cli/output.h"

#include <cstdio>
#include <sstream>

#include "model/format.h"

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
  for (const auto& d : s.deviations) o << "    - " << d.what << ": " << d.why << "\n";
  for (const auto& n : s.notes) o << "  note: " << n << "\n";
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

}  // namespace copyscope
