#include "model/analysis.h"

#include "model/analysis_detail.h"
#include "model/format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

namespace copyscope {

const char* quantity_name(const std::string& what) {
  static const std::map<std::string, const char*> kNames = {
      {"mode_switches", N_("mode switches")},
      {"context_switches", N_("context switches")},
      {"cpu_copies", N_("CPU copies")},
      {"dma_copies", N_("DMA copies")},
      {"alignment", N_("alignment")},
      {"calls_per_chunk", N_("calls per chunk")},
      {"io_uring_enter_per_chunk", N_("io_uring_enter per chunk")},
      {"splice_calls_per_chunk", N_("splice calls per chunk")},
      {"outcome", N_("outcome")},
      {"page_copies", N_("page copies")},
      {"reflink", N_("reflink")},
      {"zero_copy_send", N_("zero-copy send")},
  };
  auto it = kNames.find(what);
  return it != kNames.end() ? it->second : what.c_str();
}

using analysis_detail::add_method_notes;
using analysis_detail::is_read_like;
using analysis_detail::is_write_like;
using analysis_detail::ratio;
using analysis_detail::round2;
using analysis_detail::thread_uses;
using nlohmann::json;

KernelVersion KernelVersion::parse(const std::string& release) {
  KernelVersion kv;
  std::sscanf(release.c_str(), "%d.%d", &kv.major, &kv.minor);
  return kv;
}

namespace analysis_detail {

bool is_read_like(uint8_t sys) {
  switch (sys) {
    case CS_SYS_READ:
    case CS_SYS_PREAD64:
    case CS_SYS_READV:
    case CS_SYS_PREADV:
    case CS_SYS_RECVFROM:
    case CS_SYS_RECVMSG:
      return true;
  }
  return false;
}

bool is_write_like(uint8_t sys) {
  switch (sys) {
    case CS_SYS_WRITE:
    case CS_SYS_PWRITE64:
    case CS_SYS_WRITEV:
    case CS_SYS_PWRITEV:
    case CS_SYS_SENDTO:
    case CS_SYS_SENDMSG:
      return true;
  }
  return false;
}

}  // namespace analysis_detail

namespace {

std::string page_refs_reason(bool nic_sg) {
  if (nic_sg)
    return N_("the socket takes references to the page-cache pages instead of copying them, because the device does "
           "scatter-gather (loopback does): the articles' SG-DMA row. TCP has sent page-cache pages this way since "
           "Linux 2.4; Linux 6.5 (MSG_SPLICE_PAGES) changed only the route, not the copy count");
  return N_("the device cannot gather from page-cache pages (no scatter-gather), so just before the driver the kernel "
         "copies each packet's pages into one contiguous buffer (skb_segment, or a linearize for a small packet): the "
         "articles' 1-copy row");
}

// "2", "0.25", or "1 in all" when a call is too rare to show per unit.
Text per_unit_text(uint64_t n, uint64_t units) {
  const double r = ratio(n, units);
  if (n && r < 0.005) return say("%s in all", n);
  return same(format_figure(round2(r)));
}

Text measured_copies_why(const Run& run, const Summary& s);

}  // namespace

CopyRule copy_rule(const Flow& f, const KernelVersion& kv, bool nic_sg) {
  (void)kv;
  const uint8_t s = f.src, d = f.dst;
  if (is_read_like(f.sys)) {
    if (s == CS_FD_FILE_DIRECT) return {0, N_("O_DIRECT read: the disk DMAs straight into the user buffer")};
    if (s == CS_FD_FILE) return {1, N_("read copies page-cache pages into the user buffer (copy_to_user)")};
    if (is_socket(s)) return {1, N_("receiving copies socket-buffer data into the user buffer")};
    if (s == CS_FD_PIPE) return {1, N_("reading a pipe copies its pages into the user buffer")};
    if (s == CS_FD_CHAR) return {0, N_("a character device such as /dev/zero fills the buffer without a data copy")};
  }
  if (is_write_like(f.sys)) {
    if (d == CS_FD_FILE_DIRECT) return {0, N_("O_DIRECT write: the disk DMAs straight from the user buffer")};
    if (d == CS_FD_FILE) return {1, N_("write copies the user buffer into the destination's page cache")};
    if (is_socket(d)) return {1, N_("sending copies the user buffer into the socket buffer (copy_from_user)")};
    if (d == CS_FD_PIPE) return {1, N_("writing a pipe copies the user buffer into pipe pages")};
    if (d == CS_FD_CHAR) return {0, N_("/dev/null discards the data without reading it")};
  }
  switch (f.sys) {
    case CS_SYS_SENDFILE:
    case CS_SYS_SPLICE:
      if (d == CS_FD_TCP && (s == CS_FD_FILE || s == CS_FD_PIPE)) return {nic_sg ? 0.0 : 1.0, page_refs_reason(nic_sg)};
      if (s == CS_FD_FILE && d == CS_FD_PIPE)
        return {0, N_("file -> pipe: the pipe takes references to the page-cache folios (filemap_splice_read)")};
      if (d == CS_FD_FILE)
        return {1, N_("-> file: iter_file_splice_write copies the pages into the destination's page cache")};
      if (d == CS_FD_CHAR) return {0, N_("-> /dev/null: the pages are dropped without being read")};
      if (s == CS_FD_PIPE && d == CS_FD_PIPE) return {0, N_("pipe -> pipe: buffers are moved, not copied")};
      if (s == CS_FD_FILE_DIRECT) return {1, N_("O_DIRECT source: the data is read into a bounce buffer first")};
      break;
    case CS_SYS_TEE:
      return {0, N_("tee duplicates pipe buffers by reference")};
    case CS_SYS_VMSPLICE:
      if (d == CS_FD_PIPE) return {0, N_("vmsplice maps the user pages into the pipe by reference")};
      break;
    case CS_SYS_COPY_FILE_RANGE:
      return {1,
              N_("copy_file_range without reflink support copies page-cache pages inside the kernel "
              "(splice_file_range: file -> internal pipe by reference, then into the destination's page "
              "cache; no user copy); only a reflink filesystem (btrfs, XFS) shares the extents with 0 copies")};
    case CS_FLOW_URING_READ:
      if (s == CS_FD_FILE_DIRECT) return {0, N_("io_uring O_DIRECT read: the disk DMAs into the user buffer")};
      if (s == CS_FD_FILE) return {1, N_("io_uring read copies page-cache pages into the user buffer, like read()")};
      if (is_socket(s) || s == CS_FD_PIPE) return {1, N_("io_uring read copies the data into the user buffer")};
      break;
    case CS_FLOW_URING_RECV:
      return {1, N_("io_uring recv copies socket-buffer data into the user buffer")};
    case CS_FLOW_URING_WRITE:
    case CS_FLOW_URING_SEND:
      if (d == CS_FD_FILE_DIRECT) return {0, N_("io_uring O_DIRECT write: the disk DMAs from the user buffer")};
      if (d == CS_FD_CHAR) return {0, N_("/dev/null discards the data without reading it")};
      if (d == CS_FD_FILE || d == CS_FD_PIPE || is_socket(d))
        return {1, N_("io_uring write/send copies the user buffer into the kernel, like write()")};
      break;
    case CS_FLOW_URING_SEND_ZC:
      return {0,
              N_("IORING_OP_SEND_ZC pins the user pages and hands them to the device (no CPU copy) unless "
              "the notification reports a copy")};
    case kFlowCowFault:
      return {1,
              N_("copy-on-write: the first write to a page shared after fork faults and the kernel copies "
              "that page (wp_page_copy)")};
  }
  return {0, N_("no attribution rule for this combination: not counted"), false};
}

std::string flow_name(uint8_t sys) {
  switch (sys) {
    case CS_FLOW_URING_READ:
      return "io_uring:read";
    case CS_FLOW_URING_WRITE:
      return "io_uring:write";
    case CS_FLOW_URING_SEND:
      return "io_uring:send";
    case CS_FLOW_URING_SEND_ZC:
      return "io_uring:send_zc";
    case CS_FLOW_URING_RECV:
      return "io_uring:recv";
    case CS_FLOW_URING_OTHER:
      return "io_uring:other";
    case kFlowCowFault:
      return "cow_fault";
  }
  return syscall_name(sys);
}

CopyRule copy_rule(const Flow& f, const KernelVersion& kv, const json& facts, bool nic_sg) {
  CopyRule rule = copy_rule(f, kv, nic_sg);
  if (!facts.is_object()) return rule;
  // Zero-copy sends report per send whether the kernel copied after all.
  const std::string api = facts.value("zerocopy_api", std::string());
  const bool uring = f.sys == CS_FLOW_URING_SEND_ZC && api == "IORING_OP_SEND_ZC";
  const bool msg = (f.sys == CS_SYS_SENDTO || f.sys == CS_SYS_SENDMSG) && f.src == CS_FD_USER && api == "MSG_ZEROCOPY";
  const uint64_t sends = facts.value("zerocopy_sends", uint64_t{0});
  if ((uring || msg) && sends) {
    const uint64_t copied = std::min(sends, facts.value("zerocopy_copied", uint64_t{0}));
    rule.copies_per_byte = static_cast<double>(copied) / static_cast<double>(sends);
    rule.why = api + " pinned the user pages instead of copying them; " + std::to_string(copied) + " of " +
               std::to_string(sends) + " completions said " +
               (uring ? "IORING_NOTIF_USAGE_ZC_COPIED" : "SO_EE_CODE_ZEROCOPY_COPIED") +
               (copied ? ": the kernel copied the data after all (on loopback the receiving socket may not keep "
                         "pointers into the sender's memory, so the pages are copied on delivery)"
                       : ": the device sent straight from the pinned pages");
  }
  // copy_file_range on a filesystem that shares extents (the scenario's FICLONE probe said so).
  if (f.sys == CS_SYS_COPY_FILE_RANGE && reflink_supported(facts)) {
    rule.copies_per_byte = 0;
    rule.shares_extents = true;
    rule.why = "copy_file_range on a reflink filesystem (" + facts["reflink"].value("fs", std::string("?")) +
               ") makes the destination share the source's disk blocks (remap_file_range): only metadata is "
               "written, no data is copied or moved by DMA";
  }
  return rule;
}

bool reflink_supported(const json& facts) {
  if (!facts.is_object() || !facts.contains("reflink") || !facts["reflink"].is_object()) return false;
  const json& r = facts["reflink"];
  return r.contains("supported") && r["supported"].is_boolean() && r["supported"].get<bool>();
}

Counts count_role(const Run& run, Role role, const KernelVersion& kv, const EventTally& tally,
                  std::vector<CopyAttribution>* copies, bool nic_sg) {
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
  // Copy-on-write: a user-mode write fault on a present page (x86 error code
  // PROT|WRITE = 0x3) is a write to a page shared after fork. Counted from the
  // fault events; a CoW scenario says so ("copy_on_write") and then each such
  // fault is one page copied, the transfer itself.
  std::vector<Flow> flows = run.flows;
  out.cow_faults = tally.cow_faults[static_cast<unsigned>(role)];
  const json& facts = run.result.extra;
  if (out.cow_faults && facts.is_object() && facts.value("copy_on_write", false)) {
    const uint64_t page = facts.value("page_size", uint64_t{4096});
    flows.push_back({role, kFlowCowFault, CS_FD_USER, CS_FD_USER, out.cow_faults, out.cow_faults * page});
  }
  for (const Flow& f : flows) {
    if (f.role != role) continue;
    CopyRule rule = copy_rule(f, kv, facts, nic_sg);
    uint64_t bytes = static_cast<uint64_t>(std::llround(rule.copies_per_byte * static_cast<double>(f.bytes)));
    out.attributed_cpu_copy_bytes += bytes;
    if (rule.copies_per_byte > 0)
      out.attributed_cpu_copies += f.calls * static_cast<uint64_t>(std::ceil(rule.copies_per_byte));
    if (copies) copies->push_back({f, rule, bytes});
  }
  out.copies_measured = copies_measured(run);
  if (!out.copies_measured) {
    out.cpu_copies = out.attributed_cpu_copies;
    out.cpu_copy_bytes = out.attributed_cpu_copy_bytes;
    return out;
  }
  for (const MeasuredCopy& m : run.measured_copies) {
    if (m.role != role) continue;
    out.cpu_copies += m.calls;
    out.cpu_copy_bytes += m.bytes;
    if (m.dir == CS_COPY_TO_USER)
      out.copy_to_user_bytes += m.bytes;
    else if (m.dir == CS_COPY_FROM_USER)
      out.copy_from_user_bytes += m.bytes;
    else
      out.copy_kernel_bytes += m.bytes;
  }
  // A copy-on-write fault copies the page in the fault handler (wp_page_copy),
  // which no copy hook covers: those copies stay counted from the faults, even
  // where the copy routines are measured.
  for (const Flow& f : flows)
    if (f.role == role && f.sys == kFlowCowFault) {
      out.cpu_copies += f.calls;
      out.cpu_copy_bytes += f.bytes;
    }
  return out;
}

bool copies_measured(const Run& run) { return run.kernel.copy_accounting == "measured"; }

Summary summarize_live(Run& run, const TextbookMethod* tb) {
  Run facts = facts_from_events(run);
  facts.events.swap(run.events);  // lent, not copied: a live run's log is large
  Summary s;
  try {
    s = summarize(facts, tb);
  } catch (...) {
    facts.events.swap(run.events);
    throw;
  }
  facts.events.swap(run.events);
  for (Stage& st : s.stages) st.accounting = "live";
  return s;
}

Summary summarize(const Run& run, const TextbookMethod* tb) {
  Summary s;
  s.params = run.params;
  s.kernel = run.kernel;
  s.partial = run.partial;
  s.dma_mappings = run.dma_mappings;
  s.where = run.where;
  if (run.where != "host")
    s.notes.push_back(say("measured in the lab VM (%s, qemu software emulation): its times and throughput are the "
                          "emulator's, not this machine's; its counts, copies and DMA are the guest kernel's own.",
                          run.where.substr(3)));
  s.events_kept = run.events.size();
  s.events_thinned = run.thinned.events;
  s.event_stride = run.event_stride;
  s.duration_ns = run.result.duration_ns;
  s.bytes = run.result.bytes;
  s.units = run.result.units ? run.result.units : 1;
  s.throughput_mib_s = s.duration_ns ? (s.bytes / 1048576.0) / (s.duration_ns / 1e9) : 0.0;
  s.sink_report = run.result.sink;
  s.extra = run.result.extra;
  const KernelVersion kv = KernelVersion::parse(run.kernel.release);
  // The device decides sendfile's row: with scatter-gather the socket takes
  // page references (0 CPU copies), without it the pages are copied.
  if (run.kernel.nic_sg >= 0) {
    s.nic_sg = run.kernel.nic_sg == 1;
    s.nic_sg_source = "asked the device " + (run.kernel.net_device.empty() ? std::string("?") : run.kernel.net_device) +
                      " (ETHTOOL_GSG): scatter-gather " + (s.nic_sg ? "on" : "off");
  } else {
    s.nic_sg = true;
    s.nic_sg_source = "not recorded; assumed on, as loopback and nearly every network card do scatter-gather";
  }
  const EventTally tally = tally_events(run);
  s.counters = count_role(run, Role::Sender, kv, tally, &s.copies, s.nic_sg);
  s.receiver = count_role(run, Role::Receiver, kv, tally, nullptr, s.nic_sg);
  if (s.counters.copies_measured)
    for (const MeasuredCopy& m : run.measured_copies)
      if (m.role == Role::Sender) s.measured_copies.push_back(m);
  s.stages = build_stages(run, s, tally);
  s.threads = thread_uses(run, tally, tb);

  const Counts& c = s.counters;
  s.per_call.mode_switches = ratio(c.mode_switches, s.units);
  if (tb && tb->rows.empty()) s.textbook = tb->expect;  // built by hand, not parsed
  if (tb && !tb->rows.empty()) {
    const TextbookRow& row = tb->row_for({run.params.sink, s.nic_sg, reflink_supported(run.result.extra)});
    s.textbook = row.expect;
    s.row_id = row.id;
    s.row_title = row.title;
    s.row_note = row.note;
    for (const TextbookRow& other : tb->rows)
      if (other.id != row.id) s.other_rows.push_back(other.id);
  }
  // Several threads (a JVM): per unit, only the method's own calls of the
  // threads that moved the data; everything else is listed apart.
  uint64_t transfer_calls = 0, transfer_other = 0, other_syscalls = 0;
  for (const ThreadUse& t : s.threads) {
    if (t.role == "transfer") {
      transfer_calls += t.method_calls;
      transfer_other += t.syscalls - t.method_calls;
    } else {
      other_syscalls += t.syscalls;
    }
  }
  // Only where the textbook counts switches per unit (not for fork scenarios).
  const bool threads_apart = other_syscalls && transfer_calls && s.textbook.mode_switches.has_value();
  if (threads_apart) s.per_call.mode_switches = ratio(2 * transfer_calls, s.units);
  s.per_call.context_switches = ratio(c.context_switches, s.units);
  s.per_call.cpu_copies = ratio(c.cpu_copy_bytes, s.bytes);
  // A DMA stage counts once when it carried the payload (readahead may carry
  // more, a file smaller than a page is read as a whole page).
  for (const Stage& st : s.stages)
    if (st.kind == StageKind::Dma && (s.bytes ? st.bytes * 2 >= s.bytes : st.bytes > 0)) s.per_call.dma_copies += 1;
  if (threads_apart) {
    std::map<std::string, uint64_t> by_role;
    for (const ThreadUse& t : s.threads)
      if (t.role != "transfer") by_role[t.role] += t.syscalls;
    std::vector<Text> parts;
    for (const auto& [role, n] : by_role) parts.push_back(say("%s: %s", both(role.c_str()), n));
    const Text others = join(parts, "; ", "；");
    std::string own;
    if (tb)
      for (const std::string& n : tb->calls) own += (own.empty() ? "" : ", ") + n;
    s.notes.push_back(say("mode switches per unit count the transfer thread's own calls (%s: %s over %s units). "
                          "Apart from them the transfer thread made %s other traced syscalls (memory, reporting), "
                          "and the other threads made %s (%s); counters.mode_switches counts every syscall of "
                          "every thread, untraced kinds included",
                          own, transfer_calls, s.units, transfer_other, other_syscalls, others));
  }
  if (s.extra.is_object() && s.extra.contains("clamps") && s.extra["clamps"].is_array())
    for (const json& cl : s.extra["clamps"])
      if (cl.is_object())
        s.notes.push_back(say("%s was changed from %s to %s: %s", cl.value("what", std::string("a parameter")),
                              cl.value("requested", json(nullptr)).dump(), cl.value("used", json(nullptr)).dump(),
                              cl.value("why", std::string())));

  if (run.event_stride > 1)
    s.notes.push_back(say("the event log kept %s of %s events: past its memory budget it keeps the events of one "
                          "1 ms window in %s (the timeline shows those); counters, stages and per-unit figures "
                          "count every event.",
                          format_count(run.events.size()), format_count(run.events.size() + run.thinned.events),
                          run.event_stride));
  const bool attributed = !c.copies_measured;
  const double attributed_per_call = ratio(c.attributed_cpu_copy_bytes, s.bytes);
  if (attributed) {
    const Text note = say("CPU copies are attributed from syscall results and fd kinds: the copy routines cannot be "
                          "hooked on this kernel (see kernel.hooks).");
    s.notes.push_back(run.kernel.copy_accounting_why.empty() ? note
                                                             : note + same(" " + run.kernel.copy_accounting_why));
  } else {
    s.notes.push_back(say("CPU copies are measured at the kernel's copy routines (%s): %s to user, %s from user, %s "
                          "kernel to kernel; attribution from syscall results would say %s per transfer unit.",
                          run.kernel.copy_accounting_why.empty() ? both(N_("see kernel.hooks"))
                                                                 : same(run.kernel.copy_accounting_why),
                          format_bytes(c.copy_to_user_bytes), format_bytes(c.copy_from_user_bytes),
                          format_bytes(c.copy_kernel_bytes), format_figure(round2(attributed_per_call))));
  }
  for (const auto& a : s.copies)
    if (!a.rule.known)
      s.notes.push_back(say("unattributed flow: %s %s -> %s", flow_name(a.flow.sys), fd_kind_name(a.flow.src),
                            fd_kind_name(a.flow.dst)));

  // Per-unit syscall mix, used to explain mode-switch figures.
  std::vector<Text> mix;
  for (const auto& [name, n] : c.syscalls) mix.push_back(per_unit_text(n, s.units) + same(" " + name));

  {
    const RoleCounters& rc = run.counters[CS_ROLE_SENDER];
    uint64_t known = 0;
    for (unsigned i = 1; i < CS_SYS_MAX; ++i) known += rc.sys_calls[i];
    if (rc.sys_calls[0] || rc.syscall_exits > known)
      mix.push_back(say("%s other syscalls (not transfers: e.g. futex, poll, the JVM's service threads)",
                        per_unit_text(rc.syscall_exits - known, s.units)));
  }

  if (s.textbook.mode_switches) {
    double tbv = *s.textbook.mode_switches, m = std::round(s.per_call.mode_switches);
    if (m != tbv)
      s.deviations.push_back(
          {"mode_switches", tbv, round2(s.per_call.mode_switches),
           say("each syscall is one user->kernel and one kernel->user switch; per transfer unit the sender made %s "
               "(%s switches over %s units)",
               join(mix, " + ", " + "), c.mode_switches, s.units)});
    s.deviations.push_back(
        {"context_switches", tbv, round2(s.per_call.context_switches),
         say("the articles say 'context switch' for a user/kernel mode switch; a real scheduler context switch "
             "(another thread takes the CPU) happened %s times: %s involuntary (preempted while runnable) and %s "
             "voluntary (blocked, e.g. waiting for the disk or the socket)",
             c.context_switches, c.context_switches_involuntary,
             c.context_switches - std::min(c.context_switches, c.context_switches_involuntary))});
  }

  if (s.textbook.cpu_copies && !attributed) {
    const double tbv = *s.textbook.cpu_copies, m = s.per_call.cpu_copies;
    // Differences from the textbook, and from what attribution would have said.
    if (std::round(m) != tbv || std::fabs(m - attributed_per_call) >= 0.02)
      s.deviations.push_back({"cpu_copies", tbv, round2(m), measured_copies_why(run, s), round2(attributed_per_call)});
  } else if (s.textbook.cpu_copies) {
    double tbv = *s.textbook.cpu_copies, m = std::round(s.per_call.cpu_copies);
    if (m != tbv) {
      std::vector<Text> flows;
      for (const auto& a : s.copies)
        flows.push_back(say("%s %s -> %s (%s): %s copy per byte, %s", flow_name(a.flow.sys), fd_kind_name(a.flow.src),
                            fd_kind_name(a.flow.dst), format_bytes(a.flow.bytes),
                            format_figure(a.rule.copies_per_byte), both(a.rule.why.c_str())));
      const Text why = flows.empty() ? both(N_("no data-moving syscall was seen")) : join(flows, "; ", "；");
      s.deviations.push_back({"cpu_copies", tbv, round2(s.per_call.cpu_copies),
                              attributed ? say("attributed: %s", why) : say("measured: %s", why)});
    }
  }

  if (s.textbook.dma_copies) {
    double tbv = *s.textbook.dma_copies, m = s.per_call.dma_copies;
    if (m != tbv) {
      std::vector<Text> reasons;
      // Which DMA the textbook row draws: from the disk into the page cache,
      // and out to a device. Reasons speak only of what the row counts.
      const bool no_diagram = !tb || tb->arrows.empty();
      bool row_reads_disk = no_diagram, row_writes_device = no_diagram;
      if (tb)
        for (const DiagramArrow& a : tb->arrows) {
          if (a.kind != "dma") continue;
          (a.from == "disk" ? row_reads_disk : row_writes_device) = true;
        }
      if (!row_reads_disk && c.disk_dma_bytes > 0)
        reasons.push_back(say("the scenario's set-up brought the file in from disk by DMA (%s, cold cache) before "
                              "%s itself ran; the textbook row counts only %s's own calls, which move no data by "
                              "DMA",
                              format_bytes(c.disk_dma_bytes), run.params.method, run.params.method));
      if (row_reads_disk && c.disk_dma_bytes < s.bytes / 2) {
        if (run.params.cache == "warm")
          reasons.push_back(say("the file was already in the page cache (warm cache): no disk DMA was needed"));
        else
          reasons.push_back(
              run.result.cache_resident_pages
                  ? say("disk DMA carried only %s of %s (%s pages were still cached)", format_bytes(c.disk_dma_bytes),
                        format_bytes(s.bytes), run.result.cache_resident_pages)
                  : say("disk DMA carried only %s of %s", format_bytes(c.disk_dma_bytes), format_bytes(s.bytes)));
      }
      if (row_writes_device) {
        if (run.params.sink == "tcp" && c.nic_dma_bytes == 0)
          reasons.push_back(say("loopback has no NIC: the last stage handed %s to the receiver in software "
                                "(loopback_xmit), which is not DMA",
                                format_bytes(c.loopback_bytes)));
        else if (run.params.sink == "file")
          reasons.push_back(
              say("the sink is a file: its device DMA does happen, at writeback, when the flusher "
                  "threads write the dirty pages back (after about 30 s, under memory pressure, or at "
                  "fsync), which is usually after the transfer phase measured here"));
        else if (run.params.sink != "tcp")
          reasons.push_back(say("the sink is %s, not a device: no DMA on the way out", run.params.sink));
      }
      s.deviations.push_back(
          {"dma_copies", tbv, m, reasons.empty() ? say("unexplained difference") : join(reasons, "; ", "；")});
    }
  }
  add_method_notes(run, s);
  if (run.params.method == kTraceMethod) {
    FlowContext ctx;
    ctx.nic_sg = s.nic_sg;
    try {
      ctx.textbook = &Textbook::builtin();
    } catch (const std::exception&) {
      ctx.textbook = nullptr;  // no textbook assets here: flows are classified, not compared
    }
    s.flows = classify_flows(run, ctx);
    if (run.event_stride > 1)
      s.notes.push_back(say("the event log kept the events of one 1 ms window in %s: flows are those of the events "
                            "kept (raise --max-events for all of them)",
                            std::to_string(run.event_stride)));
  }
  return s;
}

namespace {

// Per flow: what the copy routines measured, beside the attribution rule (whose
// reason is the kernel's: e.g. sendfile hands page references to the socket).
Text measured_copies_why(const Run& run, const Summary& s) {
  struct Measured {
    uint64_t bytes = 0, calls = 0;
    std::array<uint64_t, CS_COPY_DIR_MAX> by_dir{};
    std::vector<std::string> routines;
    bool shown = false;
  };
  std::map<std::tuple<uint8_t, uint8_t, uint8_t>, Measured> measured;
  for (const MeasuredCopy& m : run.measured_copies) {
    if (m.role != Role::Sender) continue;
    Measured& g = measured[{m.sys, m.src, m.dst}];
    g.bytes += m.bytes;
    g.calls += m.calls;
    if (m.dir < CS_COPY_DIR_MAX) g.by_dir[m.dir] += m.bytes;
    const std::string r = copy_routine_name(m.routine);
    if (std::find(g.routines.begin(), g.routines.end(), r) == g.routines.end()) g.routines.push_back(r);
  }
  auto detail = [](const Measured& g) {
    std::vector<Text> dirs;
    for (unsigned d = 0; d < CS_COPY_DIR_MAX; ++d)
      if (g.by_dir[d]) dirs.push_back(say("%s %s", format_bytes(g.by_dir[d]), both(copy_dir_name(d))));
    std::string via;
    for (const auto& r : g.routines) via += (via.empty() ? "" : ", ") + r;
    return say("%s in %s calls of %s", join(dirs, ", ", "，"), g.calls, via);
  };
  std::vector<Text> parts;
  for (const auto& a : s.copies) {
    auto it = measured.find({a.flow.sys, a.flow.src, a.flow.dst});
    const Text flow = say("%s %s -> %s (%s moved)", flow_name(a.flow.sys), fd_kind_name(a.flow.src),
                          fd_kind_name(a.flow.dst), format_bytes(a.flow.bytes));
    const bool copied = it != measured.end() && it->second.bytes > 0;
    if (!copied && a.copy_bytes == 0) {
      parts.push_back(say("%s: no CPU copy, because %s (attribution agrees)", flow, both(a.rule.why.c_str())));
      continue;
    }
    Text seen = both(N_("no CPU copy"));
    if (copied) {
      seen = say("%s copied (%s)", format_bytes(it->second.bytes), detail(it->second));
      it->second.shown = true;
    }
    parts.push_back(say("%s: %s; attribution: %s (%s copy per byte) because %s", flow, seen,
                        format_bytes(a.copy_bytes), format_figure(a.rule.copies_per_byte), both(a.rule.why.c_str())));
  }
  for (const auto& [key, g] : measured) {
    if (g.shown || g.bytes == 0) continue;
    const auto [sys, src, dst] = key;
    const Text where = sys == CS_SYS_OTHER && src == CS_FD_NONE && dst == CS_FD_NONE
                           ? both(N_("outside any transfer syscall"))
                           : say("%s %s -> %s (no data flow)", flow_name(sys), fd_kind_name(src), fd_kind_name(dst));
    parts.push_back(say("%s: %s copied (%s), not attributed", where, format_bytes(g.bytes), detail(g)));
  }
  if (parts.empty()) return say("measured at the copy routines: %s", both(N_("no data-moving syscall and no copy were seen")));
  return say("measured at the copy routines: %s", join(parts, "; ", "；"));
}

}  // namespace

}  // namespace copyscope
