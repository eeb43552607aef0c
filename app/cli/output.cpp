#include "cli/output.h"

#include <cstdio>
#include <sstream>

namespace copyscope {

namespace {

std::string fig(const std::optional<double>& v) {
  if (!v) return "-";
  char b[16];
  std::snprintf(b, sizeof b, "%g", *v);
  return b;
}

std::string mark(double measured, const std::optional<double>& tb) {
  if (!tb) return " ";
  return static_cast<long long>(measured + 0.5) == static_cast<long long>(*tb + 0.5) ? "=" : "*";
}

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1048576.0);
  return buf;
}

}  // namespace

std::string format_summary(const Summary& s) {
  std::ostringstream o;
  const Counts& c = s.counters;
  char line[256];
  if (s.partial)
    o << "PARTIAL RUN (interrupted or timed out): the scenario never reported its totals; the counters are what "
         "the kernel saw until then\n";
  o << s.params.method << ": " << mib(s.bytes) << " in " << s.duration_ns / 1e6 << " ms";
  std::snprintf(line, sizeof line, " (%.1f MiB/s)", s.throughput_mib_s);
  o << line << ", sink " << s.params.sink << ", " << s.params.cache << " cache, kernel " << s.kernel.release << "\n";
  o << "  syscalls:";
  for (const auto& [name, n] : c.syscalls) o << " " << name << "=" << n;
  o << "\n";
  std::snprintf(line, sizeof line,
                "  mode switches %llu, scheduler context switches %llu, page faults %llu, page-cache pages added "
                "%llu\n",
                (unsigned long long)c.mode_switches, (unsigned long long)c.context_switches,
                (unsigned long long)c.page_faults, (unsigned long long)c.page_cache_adds);
  o << line;
  o << "  CPU copies " << c.cpu_copies << " (" << mib(c.cpu_copy_bytes) << ", " << s.kernel.copy_accounting
    << (c.copies_measured ? "; attribution would say " + mib(c.attributed_cpu_copy_bytes) : std::string())
    << "), disk DMA " << mib(c.disk_dma_bytes) << " in " << c.dma_ops << " requests, NIC DMA "
    << mib(c.nic_dma_bytes) << ", loopback hand-off " << mib(c.loopback_bytes) << "\n";
  o << "  events captured " << c.events_captured << ", dropped " << c.events_dropped << "\n";
  std::snprintf(line, sizeof line, "  per transfer unit (%llu units)   measured   textbook\n",
                (unsigned long long)s.units);
  o << line;
  std::snprintf(line, sizeof line, "    mode switches               %8.2f %1s %8s\n", s.per_call.mode_switches,
                mark(s.per_call.mode_switches, s.textbook.mode_switches).c_str(),
                fig(s.textbook.mode_switches).c_str());
  o << line;
  std::snprintf(line, sizeof line, "    CPU copies                  %8.2f %1s %8s\n", s.per_call.cpu_copies,
                mark(s.per_call.cpu_copies, s.textbook.cpu_copies).c_str(), fig(s.textbook.cpu_copies).c_str());
  o << line;
  std::snprintf(line, sizeof line, "    DMA copies                  %8.2f %1s %8s\n", s.per_call.dma_copies,
                mark(s.per_call.dma_copies, s.textbook.dma_copies).c_str(), fig(s.textbook.dma_copies).c_str());
  o << line;
  if (!s.deviations.empty()) o << "  why it differs (* above):\n";
  for (const auto& d : s.deviations) o << "    - " << d.what << ": " << d.why << "\n";
  for (const auto& n : s.notes) o << "  note: " << n << "\n";
  if (s.sink_report.is_object() && s.sink_report.contains("received_bytes"))
    o << "  receiver: " << mib(s.sink_report["received_bytes"].get<uint64_t>()) << " in "
      << s.sink_report.value("receive_calls", uint64_t{0}) << " calls, its CPU copies " << mib(s.sink.cpu_copy_bytes)
      << "\n";
  return o.str();
}

std::string format_compare_table(const std::vector<Summary>& rows) {
  std::ostringstream o;
  char line[320];
  std::snprintf(line, sizeof line, "%-20s %9s %9s %12s %12s %12s %9s %8s %8s\n", "method", "MiB/s", "syscalls",
                "mode sw/u", "CPU cp/u", "DMA/u", "ctx sw", "faults", "dropped");
  o << line;
  for (const Summary& s : rows) {
    uint64_t calls = 0;
    for (const auto& kv : s.counters.syscalls) calls += kv.second;
    auto cell = [](double m, const std::optional<double>& tb) {
      char b[32];
      std::snprintf(b, sizeof b, "%.2f%s(%s)", m, mark(m, tb).c_str(), fig(tb).c_str());
      return std::string(b);
    };
    std::snprintf(line, sizeof line, "%-20s %9.1f %9llu %12s %12s %12s %9llu %8llu %8llu\n", s.params.method.c_str(),
                  s.throughput_mib_s, (unsigned long long)calls,
                  cell(s.per_call.mode_switches, s.textbook.mode_switches).c_str(),
                  cell(s.per_call.cpu_copies, s.textbook.cpu_copies).c_str(),
                  cell(s.per_call.dma_copies, s.textbook.dma_copies).c_str(),
                  (unsigned long long)s.counters.context_switches, (unsigned long long)s.counters.page_faults,
                  (unsigned long long)s.counters.events_dropped);
    o << line;
  }
  o << "per unit: measured, '=' matches the textbook figure in (), '*' differs (see 'copyscope run METHOD' for why)\n";
  if (!rows.empty())
    o << "CPU copies are " << rows.front().kernel.copy_accounting << " on kernel " << rows.front().kernel.release
      << "\n";
  return o.str();
}

}  // namespace copyscope
