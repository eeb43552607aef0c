#include "model/run_json.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "model/analysis.h"

namespace copyscope {

using nlohmann::json;

namespace {

std::string join(const std::string& where, const std::string& key) { return where.empty() ? key : where + "." + key; }

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error("run" + (where.empty() ? std::string() : "." + where) + ": " + what);
}

const json& field(const json& obj, const std::string& where, const char* key) {
  if (!obj.is_object()) bad(where, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) bad(join(where, key), "missing");
  return *it;
}

uint64_t as_u64(const json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) bad(where, "negative value " + v.dump());
  if (v.is_number_float()) bad(where, "not an integer: " + v.dump());
  bad(where, "expected a non-negative integer, got " + std::string(v.type_name()));
}

uint64_t get_u64(const json& obj, const std::string& where, const char* key) {
  return as_u64(field(obj, where, key), join(where, key));
}

std::string get_str(const json& obj, const std::string& where, const char* key) {
  const json& v = field(obj, where, key);
  if (!v.is_string()) bad(join(where, key), "expected a string, got " + std::string(v.type_name()));
  return v.get<std::string>();
}

bool get_bool(const json& obj, const std::string& where, const char* key) {
  const json& v = field(obj, where, key);
  if (!v.is_boolean()) bad(join(where, key), "expected true or false, got " + std::string(v.type_name()));
  return v.get<bool>();
}

// Each scalar counter once, so writing and reading cannot drift apart.
template <typename Fn>
void for_each_counter(RoleCounters& c, Fn&& fn) {
  fn("syscall_enters", c.syscall_enters);
  fn("syscall_exits", c.syscall_exits);
  fn("ctx_switches", c.ctx_switches);
  fn("ctx_switches_involuntary", c.ctx_switches_involuntary);
  fn("page_faults_user", c.page_faults_user);
  fn("page_faults_kernel", c.page_faults_kernel);
  fn("page_cache_adds", c.page_cache_adds);
  fn("page_cache_add_pages", c.page_cache_add_pages);
  fn("dma_ops", c.dma_ops);
  fn("dma_bytes", c.dma_bytes);
  fn("dma_read_bytes", c.dma_read_bytes);
  fn("dma_write_bytes", c.dma_write_bytes);
  fn("net_xmit_packets", c.net_xmit_packets);
  fn("net_xmit_bytes", c.net_xmit_bytes);
  fn("loopback_xmit_bytes", c.loopback_xmit_bytes);
  fn("events_captured", c.events_captured);
  fn("events_dropped", c.events_dropped);
}

template <typename Fn>
void for_each_copy_counter(RoleCounters& c, Fn&& fn) {
  fn("copy_calls", c.copy_calls);
  fn("copy_to_user_bytes", c.copy_to_user_bytes);
  fn("copy_from_user_bytes", c.copy_from_user_bytes);
  fn("copy_kernel_bytes", c.copy_kernel_bytes);
}

json per_sys_to_json(const std::array<uint64_t, CS_SYS_MAX>& a) {
  json out = json::object();
  for (unsigned i = 0; i < CS_SYS_MAX; ++i)
    if (a[i]) out[syscall_name(i)] = a[i];
  return out;
}

void per_sys_from_json(const json& obj, const std::string& where, std::array<uint64_t, CS_SYS_MAX>& out) {
  if (!obj.is_object()) bad(where, "expected an object of syscall name -> count");
  for (const auto& [name, v] : obj.items()) {
    int sys = syscall_from_name(name);
    if (sys < 0) bad(where, "unknown syscall '" + name + "'");
    out[static_cast<unsigned>(sys)] = as_u64(v, where + "." + name);
  }
}

json role_counters_to_json(const RoleCounters& rc) {
  json out = json::object();
  RoleCounters c = rc;
  for_each_counter(c, [&](const char* k, uint64_t& v) { out[k] = v; });
  for_each_copy_counter(c, [&](const char* k, uint64_t& v) { out[k] = v; });
  out["sys_calls"] = per_sys_to_json(rc.sys_calls);
  out["sys_errors"] = per_sys_to_json(rc.sys_errors);
  return out;
}

RoleCounters role_counters_from_json(const json& j, const std::string& where) {
  RoleCounters c;
  for_each_counter(c, [&](const char* k, uint64_t& v) { v = get_u64(j, where, k); });
  // Measured copy totals: absent from files written before copies were measured.
  for_each_copy_counter(c, [&](const char* k, uint64_t& v) { v = j.contains(k) ? get_u64(j, where, k) : 0; });
  per_sys_from_json(field(j, where, "sys_calls"), where + ".sys_calls", c.sys_calls);
  per_sys_from_json(field(j, where, "sys_errors"), where + ".sys_errors", c.sys_errors);
  return c;
}

// Flows name a syscall, or a pseudo flow such as "io_uring:send_zc".
int flow_from_name(const std::string& name) {
  for (unsigned i = 0; i <= UINT8_MAX; ++i)
    if (flow_name(static_cast<uint8_t>(i)) == name) return static_cast<int>(i);
  return -1;
}

uint8_t enum_from_name(const json& obj, const std::string& where, const char* key, int (*lookup)(const std::string&)) {
  std::string name = get_str(obj, where, key);
  int v = lookup(name);
  if (v < 0) bad(join(where, key), "unknown value '" + name + "'");
  return static_cast<uint8_t>(v);
}

}  // namespace

int fd_kind_from_name(const std::string& name) {
  for (unsigned i = 0; i < CS_FD_MAX; ++i)
    if (name == fd_kind_name(i)) return static_cast<int>(i);
  return -1;
}

// The serialized name of the receiver role is "sink" (traces and recordings
// written before the role had its own name keep loading).
const char* role_name(unsigned role) {
  return role == CS_ROLE_RECEIVER ? "sink" : role == CS_ROLE_SENDER ? "sender" : "?";
}

int role_from_name(const std::string& name) {
  if (name == "sender") return CS_ROLE_SENDER;
  if (name == "sink") return CS_ROLE_RECEIVER;
  return -1;
}

namespace {

// The fold of the events a thinned log left out: what the analysis needs of
// them once the run has ended (the sender's counts and flows come from the
// kernel then).
json thinned_to_json(const EventTally& t) {
  std::vector<const ThreadCalls*> rows;
  for (const auto& [key, c] : t.threads) rows.push_back(&c);
  std::sort(rows.begin(), rows.end(), [](const ThreadCalls* a, const ThreadCalls* b) {
    return std::tie(a->tid, a->sys) < std::tie(b->tid, b->sys);
  });
  json threads = json::array();
  for (const ThreadCalls* c : rows)
    threads.push_back({{"tid", c->tid},
                       {"tgid", c->tgid},
                       {"sys", syscall_name(c->sys)},
                       {"calls", c->calls},
                       {"ok_calls", c->ok_calls},
                       {"ok_bytes", c->ok_bytes},
                       {"file_maps", c->file_maps}});
  json cow = json::object();
  for (unsigned r = 0; r < CS_ROLE_MAX; ++r) cow[role_name(r)] = t.cow_faults[r];
  return {{"events", t.events},
          {"cow_faults", cow},
          {"file_maps", t.file_maps},
          {"mapped_bytes", t.mapped_bytes},
          {"threads", threads}};
}

constexpr size_t kMaxThinnedThreads = 65536;

// A driver's name as the kernel spells them: short, lower case, digits, '_' and '-'.
bool driver_name_ok(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

std::vector<DmaMapping> dma_mappings_from_json(const json& j) {
  if (!j.is_array()) bad("dma_mappings", "expected an array");
  if (j.size() > CS_DMA_SLOTS) bad("dma_mappings", "more than " + std::to_string(CS_DMA_SLOTS) + " rows");
  std::vector<DmaMapping> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string w = "dma_mappings[" + std::to_string(i) + "]";
    DmaMapping m;
    m.driver = get_str(j[i], w, "driver");
    if (!driver_name_ok(m.driver)) bad(w + ".driver", "not a driver's name");
    m.device = dma_device_kind(m.driver);  // not taken from the file
    m.direction = get_str(j[i], w, "direction");
    if (m.direction != "to_device" && m.direction != "from_device" && m.direction != "bidirectional")
      bad(w + ".direction", "must be to_device, from_device or bidirectional");
    m.ours = get_bool(j[i], w, "ours");
    m.maps = get_u64(j[i], w, "maps");
    m.bytes = get_u64(j[i], w, "bytes");
    out.push_back(std::move(m));
  }
  return out;
}

EventTally thinned_from_json(const json& j, bool tcp_sink) {
  EventTally t(tcp_sink);
  t.events = get_u64(j, "thinned", "events");
  t.file_maps = get_u64(j, "thinned", "file_maps");
  t.mapped_bytes = get_u64(j, "thinned", "mapped_bytes");
  const json& cow = field(j, "thinned", "cow_faults");
  for (unsigned r = 0; r < CS_ROLE_MAX; ++r) t.cow_faults[r] = get_u64(cow, "thinned.cow_faults", role_name(r));
  const json& threads = field(j, "thinned", "threads");
  if (!threads.is_array()) bad("thinned.threads", "expected an array");
  if (threads.size() > kMaxThinnedThreads)
    bad("thinned.threads", "more than " + std::to_string(kMaxThinnedThreads) + " rows");
  for (size_t i = 0; i < threads.size(); ++i) {
    const std::string w = "thinned.threads[" + std::to_string(i) + "]";
    ThreadCalls c;
    const uint64_t tid = get_u64(threads[i], w, "tid"), tgid = get_u64(threads[i], w, "tgid");
    if (tid > UINT32_MAX || tgid > UINT32_MAX) bad(w, "tid or tgid beyond 32 bits");
    c.tid = static_cast<uint32_t>(tid);
    c.tgid = static_cast<uint32_t>(tgid);
    const int sys = syscall_from_name(get_str(threads[i], w, "sys"));
    if (sys < 0) bad(w + ".sys", "not a known syscall");
    c.sys = static_cast<uint16_t>(sys);
    c.calls = get_u64(threads[i], w, "calls");
    c.ok_calls = get_u64(threads[i], w, "ok_calls");
    c.ok_bytes = get_u64(threads[i], w, "ok_bytes");
    c.file_maps = get_u64(threads[i], w, "file_maps");
    if (c.ok_calls > c.calls || c.file_maps > c.ok_calls) bad(w, "more ok calls than calls, or maps than ok calls");
    if (!t.threads.emplace(uint64_t{c.tid} << 16 | c.sys, c).second) bad(w, "the same thread and syscall twice");
  }
  return t;
}

}  // namespace

json dma_mappings_to_json(const std::vector<DmaMapping>& all) {
  json out = json::array();
  for (const DmaMapping& m : all)
    out.push_back({{"driver", m.driver},
                   {"device", m.device},
                   {"direction", m.direction},
                   {"ours", m.ours},
                   {"maps", m.maps},
                   {"bytes", m.bytes}});
  return out;
}

json run_to_json(const Run& run) {
  json hooks = json::array();
  for (const Hook& h : run.kernel.hooks)
    hooks.push_back({{"name", h.name}, {"status", h.status}, {"detail", h.detail}});
  json counters = json::object();
  for (unsigned r = 0; r < CS_ROLE_MAX; ++r) counters[role_name(r)] = role_counters_to_json(run.counters[r]);
  json flows = json::array();
  for (const Flow& f : run.flows)
    flows.push_back({{"role", role_name(static_cast<unsigned>(f.role))},
                     {"sys", flow_name(f.sys)},
                     {"src", fd_kind_name(f.src)},
                     {"dst", fd_kind_name(f.dst)},
                     {"calls", f.calls},
                     {"bytes", f.bytes}});
  json measured = json::array();
  for (const MeasuredCopy& m : run.measured_copies)
    measured.push_back({{"role", role_name(static_cast<unsigned>(m.role))},
                        {"sys", flow_name(m.sys)},
                        {"src", fd_kind_name(m.src)},
                        {"dst", fd_kind_name(m.dst)},
                        {"dir", copy_dir_name(m.dir)},
                        {"routine", copy_routine_name(m.routine)},
                        {"calls", m.calls},
                        {"bytes", m.bytes}});
  json threads = json::object();
  for (const auto& [tid, name] : run.thread_names) threads[std::to_string(tid)] = name;
  const ScenarioResult& r = run.result;
  json out = {
      {"params",
       {{"method", run.params.method},
        {"size", run.params.size},
        {"buffer", run.params.buffer},
        {"cache", run.params.cache},
        {"sink", run.params.sink}}},
      {"kernel",
       {{"release", run.kernel.release},
        {"copy_accounting", run.kernel.copy_accounting},
        {"copy_accounting_why", run.kernel.copy_accounting_why},
        {"dma_accounting", run.kernel.dma_accounting},
        {"dma_accounting_why", run.kernel.dma_accounting_why},
        {"net_device", run.kernel.net_device},
        {"nic_sg", run.kernel.nic_sg},
        {"hooks", hooks}}},
      {"result",
       {{"ok", r.ok},
        {"error", r.error},
        {"bytes", r.bytes},
        {"units", r.units},
        {"duration_ns", r.duration_ns},
        {"cache_resident_pages", r.cache_resident_pages},
        {"file_pages", r.file_pages},
        {"sink", r.sink},
        {"extra", r.extra}}},
      {"counters", counters},
      {"flows", flows},
      {"measured_copies", measured},
      {"dma_mappings", dma_mappings_to_json(run.dma_mappings)},
      {"thread_names", threads},
      {"partial", run.partial},
      {"event_stride", run.event_stride},
      {"where", run.where},
  };
  if (run.event_stride > 1) out["thinned"] = thinned_to_json(run.thinned);
  if (!run.fd_names.empty()) {
    json names = json::array();
    for (const FdName& n : run.fd_names)
      names.push_back({{"tgid", n.tgid}, {"fd", static_cast<uint32_t>(std::max(n.fd, 0))}, {"ts", n.ts}, {"name", n.name}});
    out["fd_names"] = std::move(names);
  }
  return out;
}

Run run_from_json(const json& j) {
  if (!j.is_object()) throw std::runtime_error("run: expected an object, got " + std::string(j.type_name()));
  Run run;
  const json& p = field(j, "", "params");
  run.params.method = get_str(p, "params", "method");
  run.params.size = get_u64(p, "params", "size");
  run.params.buffer = get_u64(p, "params", "buffer");
  run.params.cache = get_str(p, "params", "cache");
  run.params.sink = get_str(p, "params", "sink");

  const json& k = field(j, "", "kernel");
  run.kernel.release = get_str(k, "kernel", "release");
  run.kernel.copy_accounting = get_str(k, "kernel", "copy_accounting");
  if (run.kernel.copy_accounting != "measured" && run.kernel.copy_accounting != "attributed")
    bad("kernel.copy_accounting", "must be measured or attributed, not '" + run.kernel.copy_accounting + "'");
  if (k.contains("copy_accounting_why")) run.kernel.copy_accounting_why = get_str(k, "kernel", "copy_accounting_why");
  if (k.contains("net_device")) run.kernel.net_device = get_str(k, "kernel", "net_device");
  if (k.contains("dma_accounting")) {  // older runs: the block layer's only
    run.kernel.dma_accounting = get_str(k, "kernel", "dma_accounting");
    if (run.kernel.dma_accounting != "measured" && run.kernel.dma_accounting != "block-layer")
      bad("kernel.dma_accounting", "must be measured or block-layer, not '" + run.kernel.dma_accounting + "'");
    run.kernel.dma_accounting_why = get_str(k, "kernel", "dma_accounting_why");
  }
  if (k.contains("nic_sg")) {
    const json& sg = k["nic_sg"];
    if (!sg.is_number_integer() || sg.get<int64_t>() < -1 || sg.get<int64_t>() > 1)
      bad("kernel.nic_sg", "must be -1, 0 or 1");
    run.kernel.nic_sg = sg.get<int>();
  }
  const json& hooks = field(k, "kernel", "hooks");
  if (!hooks.is_array()) bad("kernel.hooks", "expected an array");
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string w = "kernel.hooks[" + std::to_string(i) + "]";
    run.kernel.hooks.push_back(
        {get_str(hooks[i], w, "name"), get_str(hooks[i], w, "status"), get_str(hooks[i], w, "detail")});
  }

  const json& r = field(j, "", "result");
  run.result.ok = get_bool(r, "result", "ok");
  run.result.error = get_str(r, "result", "error");
  run.result.bytes = get_u64(r, "result", "bytes");
  run.result.units = get_u64(r, "result", "units");
  run.result.duration_ns = get_u64(r, "result", "duration_ns");
  run.result.cache_resident_pages = get_u64(r, "result", "cache_resident_pages");
  run.result.file_pages = get_u64(r, "result", "file_pages");
  run.result.sink = field(r, "result", "sink");
  run.result.extra = field(r, "result", "extra");

  const json& c = field(j, "", "counters");
  if (!c.is_object()) bad("counters", "expected an object");
  for (const auto& [name, v] : c.items()) {
    int role = role_from_name(name);
    if (role < 0) bad("counters", "unknown role '" + name + "' (expected sender or sink)");
    run.counters[static_cast<unsigned>(role)] = role_counters_from_json(v, "counters." + name);
  }
  for (unsigned role = 0; role < CS_ROLE_MAX; ++role)
    if (!c.contains(role_name(role))) bad("counters", std::string("missing role '") + role_name(role) + "'");

  const json& flows = field(j, "", "flows");
  if (!flows.is_array()) bad("flows", "expected an array");
  for (size_t i = 0; i < flows.size(); ++i) {
    const std::string w = "flows[" + std::to_string(i) + "]";
    Flow f;
    f.role = static_cast<Role>(enum_from_name(flows[i], w, "role", role_from_name));
    f.sys = enum_from_name(flows[i], w, "sys", flow_from_name);
    f.src = enum_from_name(flows[i], w, "src", fd_kind_from_name);
    f.dst = enum_from_name(flows[i], w, "dst", fd_kind_from_name);
    f.calls = get_u64(flows[i], w, "calls");
    f.bytes = get_u64(flows[i], w, "bytes");
    run.flows.push_back(f);
  }

  // Absent from files written before copies were measured.
  if (j.contains("measured_copies")) {
    const json& mc = j["measured_copies"];
    if (!mc.is_array()) bad("measured_copies", "expected an array");
    for (size_t i = 0; i < mc.size(); ++i) {
      const std::string w = "measured_copies[" + std::to_string(i) + "]";
      MeasuredCopy m;
      m.role = static_cast<Role>(enum_from_name(mc[i], w, "role", role_from_name));
      m.sys = enum_from_name(mc[i], w, "sys", flow_from_name);
      m.src = enum_from_name(mc[i], w, "src", fd_kind_from_name);
      m.dst = enum_from_name(mc[i], w, "dst", fd_kind_from_name);
      m.dir = enum_from_name(mc[i], w, "dir", copy_dir_from_name);
      m.routine = enum_from_name(mc[i], w, "routine", copy_routine_from_name);
      m.calls = get_u64(mc[i], w, "calls");
      m.bytes = get_u64(mc[i], w, "bytes");
      run.measured_copies.push_back(m);
    }
  }
  if (run.kernel.copy_accounting != "measured" && !run.measured_copies.empty())
    bad("measured_copies", "present, but kernel.copy_accounting is not \"measured\"");
  if (j.contains("dma_mappings")) run.dma_mappings = dma_mappings_from_json(j["dma_mappings"]);
  if (run.kernel.dma_accounting != "measured" && !run.dma_mappings.empty())
    bad("dma_mappings", "present, but kernel.dma_accounting is not \"measured\"");

  const json& threads = field(j, "", "thread_names");
  if (!threads.is_object()) bad("thread_names", "expected an object of tid -> name");
  for (const auto& [key, v] : threads.items()) {
    size_t used = 0;
    unsigned long tid = 0;
    try {
      tid = std::stoul(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != key.size() || key.empty() || key[0] == '-' || tid > UINT32_MAX)
      bad("thread_names", "bad tid '" + key + "'");
    if (!v.is_string()) bad("thread_names." + key, "expected a string");
    run.thread_names[static_cast<uint32_t>(tid)] = v.get<std::string>();
  }
  run.partial = get_bool(j, "", "partial");
  if (j.contains("where")) {
    run.where = get_str(j, "", "where");
    if (run.where != "host" && run.where != "vm:debian-6.12" && run.where != "vm:debian-6.1")
      bad("where", "must be host, vm:debian-6.12 or vm:debian-6.1");
  }
  if (j.contains("event_stride")) {  // older runs kept every event
    const uint64_t stride = get_u64(j, "", "event_stride");
    if (stride == 0 || stride > kMaxEventStride || (stride & (stride - 1)))
      bad("event_stride", "expected a power of two up to " + std::to_string(kMaxEventStride));
    run.event_stride = static_cast<uint32_t>(stride);
  }
  if (run.event_stride > 1) run.thinned = thinned_from_json(field(j, "", "thinned"), run.params.sink == "tcp");
  if (j.contains("fd_names")) {  // traced programs only
    const json& names = j["fd_names"];
    if (!names.is_array()) bad("fd_names", "expected an array");
    if (names.size() > kMaxFdNames) bad("fd_names", "more than " + std::to_string(kMaxFdNames) + " names");
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string w = "fd_names[" + std::to_string(i) + "]";
      FdName n;
      const uint64_t tgid = get_u64(names[i], w, "tgid"), fd = get_u64(names[i], w, "fd");
      if (tgid > UINT32_MAX || fd > INT32_MAX) bad(w, "tgid or fd out of range");
      n.tgid = static_cast<uint32_t>(tgid);
      n.fd = static_cast<int32_t>(fd);
      n.ts = get_u64(names[i], w, "ts");
      n.name = printable_fd_name(get_str(names[i], w, "name"));  // a file's names are shown, bounded, escaped again
      run.fd_names.push_back(std::move(n));
    }
  }
  return run;
}

}  // namespace copyscope
