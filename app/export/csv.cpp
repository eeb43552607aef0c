#include "export/csv.h"

#include <cstdio>
#include <functional>

#include "export/output_file.h"

namespace copyscope {

namespace {

std::string num(uint64_t v) { return std::to_string(v); }

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::string opt(const std::optional<double>& v) { return v ? num(*v) : std::string(); }

using Column = std::pair<std::string, std::function<std::string(const Summary&)>>;

void add_counts(std::vector<Column>& cols, const std::string& prefix, const Counts Summary::*which) {
  for (unsigned i = 1; i < CS_SYS_MAX; ++i) {
    const std::string name = syscall_name(i);
    cols.push_back({prefix + "syscalls." + name, [which, name](const Summary& s) {
                      auto it = (s.*which).syscalls.find(name);
                      return num(it == (s.*which).syscalls.end() ? uint64_t{0} : it->second);
                    }});
  }
  const std::pair<const char*, uint64_t Counts::*> scalars[] = {
      {"mode_switches", &Counts::mode_switches},
      {"context_switches", &Counts::context_switches},
      {"context_switches_involuntary", &Counts::context_switches_involuntary},
      {"cpu_copies", &Counts::cpu_copies},
      {"cpu_copy_bytes", &Counts::cpu_copy_bytes},
      {"attributed_cpu_copy_bytes", &Counts::attributed_cpu_copy_bytes},
      {"copy_to_user_bytes", &Counts::copy_to_user_bytes},
      {"copy_from_user_bytes", &Counts::copy_from_user_bytes},
      {"copy_kernel_bytes", &Counts::copy_kernel_bytes},
      {"dma_ops", &Counts::dma_ops},
      {"dma_bytes", &Counts::dma_bytes},
      {"disk_dma_bytes", &Counts::disk_dma_bytes},
      {"nic_dma_bytes", &Counts::nic_dma_bytes},
      {"loopback_handoff_bytes", &Counts::loopback_bytes},
      {"page_faults", &Counts::page_faults},
      {"cow_faults", &Counts::cow_faults},
      {"page_cache_adds", &Counts::page_cache_adds},
      {"events_captured", &Counts::events_captured},
      {"events_dropped", &Counts::events_dropped},
  };
  for (const auto& [name, field] : scalars)
    cols.push_back({prefix + name, [which, f = field](const Summary& s) { return num((s.*which).*f); }});
}

const std::vector<Column>& columns() {
  static const std::vector<Column> cols = [] {
    std::vector<Column> c = {
        {"method", [](const Summary& s) { return s.params.method; }},
        {"params.size", [](const Summary& s) { return num(s.params.size); }},
        {"params.buffer", [](const Summary& s) { return num(s.params.buffer); }},
        {"params.cache", [](const Summary& s) { return s.params.cache; }},
        {"params.sink", [](const Summary& s) { return s.params.sink; }},
        {"kernel.release", [](const Summary& s) { return s.kernel.release; }},
        {"kernel.copy_accounting", [](const Summary& s) { return s.kernel.copy_accounting; }},
        {"partial", [](const Summary& s) { return std::string(s.partial ? "true" : "false"); }},
        {"duration_ns", [](const Summary& s) { return num(s.duration_ns); }},
        {"bytes", [](const Summary& s) { return num(s.bytes); }},
        {"units", [](const Summary& s) { return num(s.units); }},
        {"throughput_mib_s", [](const Summary& s) { return num(s.throughput_mib_s); }},
    };
    add_counts(c, "counters.", &Summary::counters);
    c.push_back({"per_call.mode_switches", [](const Summary& s) { return num(s.per_call.mode_switches); }});
    c.push_back({"per_call.cpu_copies", [](const Summary& s) { return num(s.per_call.cpu_copies); }});
    c.push_back({"per_call.dma_copies", [](const Summary& s) { return num(s.per_call.dma_copies); }});
    c.push_back({"per_call.context_switches", [](const Summary& s) { return num(s.per_call.context_switches); }});
    c.push_back({"textbook.mode_switches", [](const Summary& s) { return opt(s.textbook.mode_switches); }});
    c.push_back({"textbook.cpu_copies", [](const Summary& s) { return opt(s.textbook.cpu_copies); }});
    c.push_back({"textbook.dma_copies", [](const Summary& s) { return opt(s.textbook.dma_copies); }});
    c.push_back({"textbook.row", [](const Summary& s) { return s.row_id; }});
    // The data path's stages, summed by kind (they equal the counters of the same name).
    for (StageKind k : {StageKind::CpuCopy, StageKind::Dma, StageKind::PageRef, StageKind::Handoff})
      c.push_back({std::string("stages.") + stage_kind_name(k) + "_bytes", [k](const Summary& s) {
                     uint64_t sum = 0;
                     for (const Stage& st : s.stages)
                       if (st.kind == k) sum += st.bytes;
                     return num(sum);
                   }});
    c.push_back({"deviations", [](const Summary& s) {
                   std::string out;
                   for (const auto& d : s.deviations) out += (out.empty() ? "" : "; ") + d.what;
                   return out;
                 }});
    add_counts(c, "sink.", &Summary::receiver);  // the sink's receiver process
    // A traced program's flows (copyscope trace), by method: "sendfile=67108864 other=9075".
    // Only method names from flow_methods() and numbers: no name the program chose.
    c.push_back({"flows", [](const Summary& s) { return num(static_cast<uint64_t>(s.flows.size())); }});
    c.push_back({"flows.bytes_by_method", [](const Summary& s) {
                   std::string out;
                   for (const std::string& m : flow_methods()) {
                     uint64_t bytes = 0;
                     bool any = false;
                     for (const DataFlow& f : s.flows)
                       if (f.method == m) {
                         bytes += f.bytes;
                         any = true;
                       }
                     if (any) out += (out.empty() ? "" : " ") + m + "=" + num(bytes);
                   }
                   return out;
                 }});
    return c;
  }();
  return cols;
}

std::string join_row(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_quote(fields[i]);
  return line + "\r\n";
}

}  // namespace

std::string csv_quote(const std::string& f) {
  if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> csv_header() {
  std::vector<std::string> h;
  for (const auto& c : columns()) h.push_back(c.first);
  return h;
}

std::vector<std::string> csv_row(const Summary& s) {
  std::vector<std::string> r;
  for (const auto& c : columns()) r.push_back(c.second(s));
  return r;
}

std::string to_csv(const std::vector<Summary>& rows) {
  std::string out = join_row(csv_header());
  for (const auto& s : rows) out += join_row(csv_row(s));
  return out;
}

void write_csv(const std::vector<Summary>& rows, const std::string& path) { write_output(path, to_csv(rows), "CSV"); }

}  // namespace copyscope
