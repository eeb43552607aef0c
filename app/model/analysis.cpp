#include "model/analysis.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace copyscope {

using nlohmann::json;

KernelVersion KernelVersion::parse(const std::string& release) {
  KernelVersion kv;
  std::sscanf(release.c_str(), "%d.%d", &kv.major, &kv.minor);
  return kv;
}

namespace {

bool is_read_like(uint8_t sys) {
  switch (sys) {
    case CS_SYS_READ: case CS_SYS_PREAD64: case CS_SYS_READV: case CS_SYS_PREADV:
    case CS_SYS_RECVFROM: case CS_SYS_RECVMSG:
      return true;
  }
  return false;
}

bool is_write_like(uint8_t sys) {
  switch (sys) {
    case CS_SYS_WRITE: case CS_SYS_PWRITE64: case CS_SYS_WRITEV: case CS_SYS_PWRITEV:
    case CS_SYS_SENDTO: case CS_SYS_SENDMSG:
      return true;
  }
  return false;
}

bool is_socket(uint8_t kind) { return kind == CS_FD_TCP || kind == CS_FD_SOCKET; }

std::string splice_pages_reason(const KernelVersion& kv) {
  if (kv.at_least(6, 5))
    return "since Linux 6.5 the socket takes references to the page-cache pages (MSG_SPLICE_PAGES) instead of "
           "copying them; the device only needs the page list (the articles' SG-DMA gather)";
  return "tcp_sendpage hands page references to the socket when the device supports scatter-gather "
         "(loopback does), so nothing is copied";
}

double ratio(uint64_t num, uint64_t den) { return den ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }

double round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string fmt_num(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}

}  // namespace

CopyRule copy_rule(const Flow& f, const KernelVersion& kv) {
  const uint8_t s = f.src, d = f.dst;
  if (is_read_like(f.sys)) {
    if (s == CS_FD_FILE_DIRECT) return {0, "O_DIRECT read: the disk DMAs straight into the user buffer"};
    if (s == CS_FD_FILE) return {1, "read copies page-cache pages into the user buffer (copy_to_user)"};
    if (is_socket(s)) return {1, "receiving copies socket-buffer data into the user buffer"};
    if (s == CS_FD_PIPE) return {1, "reading a pipe copies its pages into the user buffer"};
    if (s == CS_FD_CHAR) return {0, "a character device such as /dev/zero fills the buffer without a data copy"};
  }
  if (is_write_like(f.sys)) {
    if (d == CS_FD_FILE_DIRECT) return {0, "O_DIRECT write: the disk DMAs straight from the user buffer"};
    if (d == CS_FD_FILE) return {1, "write copies the user buffer into the destination's page cache"};
    if (is_socket(d)) return {1, "sending copies the user buffer into the socket buffer (copy_from_user)"};
    if (d == CS_FD_PIPE) return {1, "writing a pipe copies the user buffer into pipe pages"};
    if (d == CS_FD_CHAR) return {0, "/dev/null discards the data without reading it"};
  }
  switch (f.sys) {
    case CS_SYS_SENDFILE:
    case CS_SYS_SPLICE:
      if (d == CS_FD_TCP && (s == CS_FD_FILE || s == CS_FD_PIPE)) return {0, splice_pages_reason(kv)};
      if (s == CS_FD_FILE && d == CS_FD_PIPE)
        return {0, "file -> pipe: the pipe takes references to the page-cache folios (filemap_splice_read)"};
      if (d == CS_FD_FILE)
        return {1, "-> file: iter_file_splice_write copies the pages into the destination's page cache"};
      if (d == CS_FD_CHAR) return {0, "-> /dev/null: the pages are dropped without being read"};
      if (s == CS_FD_PIPE && d == CS_FD_PIPE) return {0, "pipe -> pipe: buffers are moved, not copied"};
      if (s == CS_FD_FILE_DIRECT) return {1, "O_DIRECT source: the data is read into a bounce buffer first"};
      break;
    case CS_SYS_TEE:
      return {0, "tee duplicates pipe buffers by reference"};
    case CS_SYS_VMSPLICE:
      if (d == CS_FD_PIPE) return {0, "vmsplice maps the user pages into the pipe by reference"};
      break;
    case CS_SYS_COPY_FILE_RANGE:
      return {1, "copy_file_range without reflink support copies page-cache pages inside the kernel "
                 "(no user copy)"};
  }
  return {0, "no attribution rule for this combination: not counted", false};
}

Counts count_role(const Run& run, Role role, const KernelVersion& kv, std::vector<CopyAttribution>* copies) {
  const RoleCounters& c = run.counters[static_cast<unsigned>(role)];
  Counts out;
  for (unsigned i = 1; i < CS_SYS_MAX; ++i)
    if (c.sys_calls[i]) out.syscalls[syscall_name(i)] = c.sys_calls[i];
  out.mode_switches = c.syscall_enters + c.syscall_exits;
  out.context_switches = c.ctx_switches;
  out.context_switches_involuntary = c.ctx_switches_involuntary;
  out.disk_dma_bytes = c.dma_bytes;
  out.nic_dma_bytes = c.net_xmit_bytes;
  out.loopback_bytes = c.loopback_xmit_bytes;
  out.dma_bytes = c.dma_bytes + c.net_xmit_bytes;
  out.dma_ops = c.dma_ops + (c.net_xmit_bytes ? c.net_xmit_packets : 0);
  out.page_faults = c.page_faults_user + c.page_faults_kernel;
  out.page_cache_adds = c.page_cache_add_pages;
  out.events_captured = c.events_captured;
  out.events_dropped = c.events_dropped;
  for (const Flow& f : run.flows) {
    if (f.role != role) continue;
    CopyRule rule = copy_rule(f, kv);
    uint64_t bytes = static_cast<uint64_t>(std::llround(rule.copies_per_byte * static_cast<double>(f.bytes)));
    out.cpu_copy_bytes += bytes;
    if (rule.copies_per_byte > 0) out.cpu_copies += f.calls * static_cast<uint64_t>(std::ceil(rule.copies_per_byte));
    if (copies) copies->push_back({f, rule, bytes});
  }
  return out;
}

Summary summarize(const Run& run, const TextbookMethod* tb) {
  Summary s;
  s.params = run.params;
  s.kernel = run.kernel;
  s.partial = run.partial;
  s.duration_ns = run.result.duration_ns;
  s.bytes = run.result.bytes;
  s.units = run.result.units ? run.result.units : 1;
  s.throughput_mib_s = s.duration_ns ? (s.bytes / 1048576.0) / (s.duration_ns / 1e9) : 0.0;
  s.sink_report = run.result.sink;
  s.extra = run.result.extra;
  const KernelVersion kv = KernelVersion::parse(run.kernel.release);
  s.counters = count_role(run, Role::Sender, kv, &s.copies);
  s.sink = count_role(run, Role::Sink, kv);

  const Counts& c = s.counters;
  s.per_call.mode_switches = ratio(c.mode_switches, s.units);
  s.per_call.context_switches = ratio(c.context_switches, s.units);
  s.per_call.cpu_copies = ratio(c.cpu_copy_bytes, s.bytes);
  // A stage counts once per payload byte it carries: disk DMA and real-NIC DMA.
  s.per_call.dma_copies = std::round(ratio(c.disk_dma_bytes, s.bytes)) + std::round(ratio(c.nic_dma_bytes, s.bytes));
  if (tb) s.textbook = tb->expect;

  const bool attributed = run.kernel.copy_accounting != "measured";
  if (attributed)
    s.notes.push_back("CPU copies are attributed from syscall results and fd kinds: the copy routines cannot be "
                      "hooked on this kernel (see kernel.hooks).");
  for (const auto& a : s.copies)
    if (!a.rule.known)
      s.notes.push_back(std::string("unattributed flow: ") + syscall_name(a.flow.sys) + " " +
                        fd_kind_name(a.flow.src) + " -> " + fd_kind_name(a.flow.dst));

  // Per-unit syscall mix, used to explain mode-switch figures.
  std::ostringstream mix;
  bool first = true;
  for (const auto& [name, n] : c.syscalls) {
    mix << (first ? "" : " + ") << fmt_num(round2(ratio(n, s.units))) << " " << name;
    first = false;
  }

  if (s.textbook.mode_switches) {
    double tbv = *s.textbook.mode_switches, m = std::round(s.per_call.mode_switches);
    if (m != tbv)
      s.deviations.push_back(
          {"mode_switches", tbv, round2(s.per_call.mode_switches),
           "each syscall is one user->kernel and one kernel->user switch; per transfer unit the sender made " +
               mix.str() + " (" + std::to_string(c.mode_switches) + " switches over " + std::to_string(s.units) +
               " units)"});
    s.deviations.push_back(
        {"context_switches", tbv, round2(s.per_call.context_switches),
         "the articles say 'context switch' for a user/kernel mode switch; a real scheduler context switch "
         "(another thread takes the CPU) happened " +
             std::to_string(c.context_switches) + " times (" + std::to_string(c.context_switches_involuntary) +
             " preempted, the rest blocked, e.g. waiting for the disk or the socket)"});
  }

  if (s.textbook.cpu_copies) {
    double tbv = *s.textbook.cpu_copies, m = std::round(s.per_call.cpu_copies);
    if (m != tbv) {
      std::ostringstream why;
      why << (attributed ? "attributed: " : "measured: ");
      bool sep = false;
      for (const auto& a : s.copies) {
        why << (sep ? "; " : "") << syscall_name(a.flow.sys) << " " << fd_kind_name(a.flow.src) << " -> "
            << fd_kind_name(a.flow.dst) << " (" << mib(a.flow.bytes) << "): " << fmt_num(a.rule.copies_per_byte)
            << " copy per byte, " << a.rule.why;
        sep = true;
      }
      if (!sep) why << "no data-moving syscall was seen";
      s.deviations.push_back({"cpu_copies", tbv, round2(s.per_call.cpu_copies), why.str()});
    }
  }

  if (s.textbook.dma_copies) {
    double tbv = *s.textbook.dma_copies, m = s.per_call.dma_copies;
    if (m != tbv) {
      std::vector<std::string> reasons;
      if (c.disk_dma_bytes < s.bytes / 2) {
        if (run.params.cache == "warm")
          reasons.push_back("the file was already in the page cache (warm cache): no disk DMA was needed");
        else
          reasons.push_back("disk DMA carried only " + mib(c.disk_dma_bytes) + " of " + mib(s.bytes) +
                            (run.result.cache_resident_pages ? " (" + std::to_string(run.result.cache_resident_pages) +
                                                                   " pages were still cached)"
                                                             : std::string()));
      }
      if (c.nic_dma_bytes == 0 && run.params.sink == "tcp")
        reasons.push_back("loopback has no NIC: the last stage handed " + mib(c.loopback_bytes) +
                          " to the receiver in software (loopback_xmit), which is not DMA");
      if (run.params.sink != "tcp")
        reasons.push_back("the sink is " + run.params.sink + ", not a network card: no device DMA on the way out");
      std::string why;
      for (size_t i = 0; i < reasons.size(); ++i) why += (i ? "; " : "") + reasons[i];
      s.deviations.push_back({"dma_copies", tbv, m, why.empty() ? "unexplained difference" : why});
    }
  }
  return s;
}

namespace {

json counts_json(const Counts& c) {
  json sys = json::object();
  for (const auto& [k, v] : c.syscalls) sys[k] = v;
  return {{"syscalls", sys},
          {"mode_switches", c.mode_switches},
          {"context_switches", c.context_switches},
          {"context_switches_involuntary", c.context_switches_involuntary},
          {"cpu_copies", c.cpu_copies},
          {"cpu_copy_bytes", c.cpu_copy_bytes},
          {"dma_ops", c.dma_ops},
          {"dma_bytes", c.dma_bytes},
          {"disk_dma_bytes", c.disk_dma_bytes},
          {"nic_dma_bytes", c.nic_dma_bytes},
          {"loopback_handoff_bytes", c.loopback_bytes},
          {"page_faults", c.page_faults},
          {"page_cache_adds", c.page_cache_adds},
          {"events_captured", c.events_captured},
          {"events_dropped", c.events_dropped}};
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json to_json(const Summary& s) {
  json hooks = json::array();
  for (const Hook& h : s.kernel.hooks) hooks.push_back({{"name", h.name}, {"status", h.status}, {"detail", h.detail}});
  json copies = json::array();
  for (const auto& a : s.copies)
    copies.push_back({{"syscall", syscall_name(a.flow.sys)},
                      {"from", fd_kind_name(a.flow.src)},
                      {"to", fd_kind_name(a.flow.dst)},
                      {"calls", a.flow.calls},
                      {"bytes", a.flow.bytes},
                      {"copies_per_byte", a.rule.copies_per_byte},
                      {"copy_bytes", a.copy_bytes},
                      {"why", a.rule.why}});
  json devs = json::array();
  for (const auto& d : s.deviations)
    devs.push_back({{"what", d.what}, {"textbook", d.textbook}, {"measured", d.measured}, {"why", d.why}});
  json sink = s.sink_report.is_object() ? s.sink_report : json::object();
  sink["counters"] = counts_json(s.sink);
  json out = {
      {"method", s.params.method},
      {"params",
       {{"size", s.params.size}, {"buffer", s.params.buffer}, {"cache", s.params.cache}, {"sink", s.params.sink}}},
      {"kernel", {{"release", s.kernel.release}, {"copy_accounting", s.kernel.copy_accounting}, {"hooks", hooks}}},
      {"duration_ns", s.duration_ns},
      {"bytes", s.bytes},
      {"units", s.units},
      {"throughput_mib_s", round2(s.throughput_mib_s)},
      {"counters", counts_json(s.counters)},
      {"per_call",
       {{"mode_switches", std::round(s.per_call.mode_switches)},
        {"cpu_copies", std::round(s.per_call.cpu_copies)},
        {"dma_copies", s.per_call.dma_copies}}},
      {"per_call_exact",
       {{"mode_switches", round2(s.per_call.mode_switches)},
        {"cpu_copies", round2(s.per_call.cpu_copies)},
        {"context_switches", round2(s.per_call.context_switches)}}},
      {"textbook",
       {{"mode_switches", optional_json(s.textbook.mode_switches)},
        {"cpu_copies", optional_json(s.textbook.cpu_copies)},
        {"dma_copies", optional_json(s.textbook.dma_copies)}}},
      {"copies", copies},
      {"deviations", devs},
      {"notes", s.notes},
      {"sink", sink},
      {"partial", s.partial},
  };
  if (!s.extra.is_null()) out["scenario"] = s.extra;
  return out;
}

}  // namespace copyscope
