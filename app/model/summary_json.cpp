// The summary as `run --json` prints it (DESIGN.md, "JSON contract").
#include "model/analysis_detail.h"
#include "model/run_json.h"

namespace copyscope {

using analysis_detail::ratio;
using analysis_detail::round2;
using nlohmann::json;

namespace {

json counts_json(const Counts& c) {
  json sys = json::object();
  for (const auto& [k, v] : c.syscalls) sys[k] = v;
  json out = {{"syscalls", sys},
              {"mode_switches", c.mode_switches},
              {"context_switches", c.context_switches},
              {"context_switches_involuntary", c.context_switches_involuntary},
              {"cpu_copies", c.cpu_copies},
              {"cpu_copy_bytes", c.cpu_copy_bytes},
              {"attributed_cpu_copies", c.attributed_cpu_copies},
              {"attributed_cpu_copy_bytes", c.attributed_cpu_copy_bytes},
              {"dma_ops", c.dma_ops},
              {"dma_bytes", c.dma_bytes},
              {"disk_dma_bytes", c.disk_dma_bytes},
              {"nic_dma_bytes", c.nic_dma_bytes},
              {"loopback_handoff_bytes", c.loopback_bytes},
              {"page_faults", c.page_faults},
              {"cow_faults", c.cow_faults},
              {"page_cache_adds", c.page_cache_adds},
              {"events_captured", c.events_captured},
              {"events_dropped", c.events_dropped}};
  if (c.copies_measured)
    out["measured_copy_bytes"] = {
        {"to_user", c.copy_to_user_bytes}, {"from_user", c.copy_from_user_bytes}, {"kernel", c.copy_kernel_bytes}};
  return out;
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json flows_json(const std::vector<DataFlow>& flows) {
  auto endpoint = [](const FlowEndpoint& ep) { return json{{"kind", fd_kind_name(ep.kind)}, {"name", ep.name}}; };
  json out = json::array();
  for (const DataFlow& f : flows) {
    json devs = json::array();
    for (const FlowFigure& d : f.deviations)
      devs.push_back({{"what", d.what}, {"textbook", d.textbook}, {"measured", d.measured}, {"why", d.why}});
    out.push_back({{"source", endpoint(f.source)},
                   {"destination", endpoint(f.destination)},
                   {"method", f.method},
                   {"reason", f.reason},
                   {"bytes", f.bytes},
                   {"calls", f.calls},
                   {"units", f.units},
                   {"syscalls", f.syscalls},
                   {"per_call",
                    {{"mode_switches", f.mode_switches},
                     {"cpu_copies", f.cpu_copies},
                     {"dma_copies", f.dma_copies}}},
                   {"textbook",
                    {{"mode_switches", optional_json(f.textbook.mode_switches)},
                     {"cpu_copies", optional_json(f.textbook.cpu_copies)},
                     {"dma_copies", optional_json(f.textbook.dma_copies)},
                     {"row", f.textbook_row}}},
                   {"cpu_copy_rules", f.cpu_copy_why},
                   {"deviations", devs}});
  }
  return out;
}

json to_json(const Summary& s) {
  json hooks = json::array();
  for (const Hook& h : s.kernel.hooks) hooks.push_back({{"name", h.name}, {"status", h.status}, {"detail", h.detail}});
  json copies = json::array();
  for (const auto& a : s.copies)
    copies.push_back({{"syscall", flow_name(a.flow.sys)},
                      {"from", fd_kind_name(a.flow.src)},
                      {"to", fd_kind_name(a.flow.dst)},
                      {"calls", a.flow.calls},
                      {"bytes", a.flow.bytes},
                      {"copies_per_byte", a.rule.copies_per_byte},
                      {"copy_bytes", a.copy_bytes},
                      {"why", a.rule.why}});
  json devs = json::array();
  for (const auto& d : s.deviations) {
    json dj = {{"what", d.what}, {"textbook", d.textbook}, {"measured", d.measured}, {"why", d.why.en}};
    if (!d.attributed.is_null()) dj["attributed"] = d.attributed;
    devs.push_back(dj);
  }
  json measured = json::array();
  for (const MeasuredCopy& m : s.measured_copies)
    measured.push_back({{"syscall", flow_name(m.sys)},
                        {"from", fd_kind_name(m.src)},
                        {"to", fd_kind_name(m.dst)},
                        {"direction", copy_dir_name(m.dir)},
                        {"routine", copy_routine_name(m.routine)},
                        {"calls", m.calls},
                        {"bytes", m.bytes}});
  json sink = s.sink_report.is_object() ? s.sink_report : json::object();
  sink["counters"] = counts_json(s.receiver);
  json stages = json::array();
  for (const Stage& st : s.stages) {
    json sj = {
        {"kind", stage_kind_name(st.kind)}, {"from", st.from}, {"to", st.to}, {"bytes", st.bytes}, {"rule", st.rule.en},
        {"accounting", st.accounting}};
    if (!st.device.empty()) sj["device"] = st.device;
    if (!st.dma_driver.empty()) sj["driver"] = st.dma_driver;
    stages.push_back(std::move(sj));
  }
  json threads = json::array();
  for (const ThreadUse& t : s.threads)
    threads.push_back({{"tid", t.tid},
                       {"name", t.name},
                       {"role", t.role},
                       {"syscalls", t.syscalls},
                       {"method_calls", t.method_calls}});
  json notes = json::array();
  for (const Text& n : s.notes) notes.push_back(n.en);
  json out = {
      {"method", s.params.method},
      {"params",
       {{"size", s.params.size}, {"buffer", s.params.buffer}, {"cache", s.params.cache}, {"sink", s.params.sink}}},
      {"kernel",
       {{"release", s.kernel.release},
        {"copy_accounting", s.kernel.copy_accounting},
        {"copy_accounting_why", s.kernel.copy_accounting_why},
        {"dma_accounting", s.kernel.dma_accounting},
        {"dma_accounting_why", s.kernel.dma_accounting_why},
        {"net_device", s.kernel.net_device},
        {"nic_sg", s.nic_sg},
        {"nic_sg_source", s.nic_sg_source},
        {"hooks", hooks}}},
      {"duration_ns", s.duration_ns},
      {"bytes", s.bytes},
      {"units", s.units},
      {"throughput_mib_s", round2(s.throughput_mib_s)},
      {"dma_mappings", dma_mappings_to_json(s.dma_mappings)},
      {"counters", counts_json(s.counters)},
      {"per_call",
       {{"mode_switches", std::round(s.per_call.mode_switches)},
        {"cpu_copies", std::round(s.per_call.cpu_copies)},
        {"dma_copies", s.per_call.dma_copies}}},
      {"per_call_exact",
       {{"mode_switches", round2(s.per_call.mode_switches)},
        {"cpu_copies", round2(s.per_call.cpu_copies)},
        {"cpu_copies_attributed", round2(ratio(s.counters.attributed_cpu_copy_bytes, s.bytes))},
        {"context_switches", round2(s.per_call.context_switches)}}},
      {"textbook",
       {{"mode_switches", optional_json(s.textbook.mode_switches)},
        {"cpu_copies", optional_json(s.textbook.cpu_copies)},
        {"dma_copies", optional_json(s.textbook.dma_copies)},
        {"row", s.row_id},
        {"row_title", s.row_title.en},
        {"other_rows", s.other_rows}}},
      {"stages", stages},
      {"threads", threads},
      {"copies", copies},
      {"copies_measured", measured},
      {"deviations", devs},
      {"notes", notes},
      {"sink", sink},
      {"partial", s.partial},
      {"where", s.where == "host" ? "host" : "vm"},
      {"vm", s.where == "host" ? nlohmann::json(nullptr) : nlohmann::json(s.where.substr(3))},
      {"event_log",
       {{"kept", s.events_kept},
        {"left_out", s.events_thinned},
        {"stride", s.event_stride},
        {"window_ns", kEventWindowNs}}},
  };
  if (!s.extra.is_null()) out["scenario"] = s.extra;
  if (s.params.method == kTraceMethod) out["flows"] = flows_json(s.flows);
  return out;
}

}  // namespace copyscope
