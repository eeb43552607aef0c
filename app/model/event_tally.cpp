// The fold over events (EventTally) and the thinning of a log past its budget.
#include <algorithm>

#include "model/run.h"
#include "model/stages.h"

namespace copyscope {

void EventTally::add(const Event& e) {
  ++events;
  if (is_cow_fault(e) && e.role < CS_ROLE_MAX) ++cow_faults[e.role];
  if (e.role != CS_ROLE_SENDER) return;
  RoleCounters& c = sender;
  switch (e.type) {
    case CS_EV_SYSCALL: {
      ++c.syscall_enters;
      ++c.syscall_exits;
      if (e.sys < CS_SYS_MAX) ++c.sys_calls[e.sys];
      const bool ok = e.ret > 0;
      const auto ret = ok ? static_cast<uint64_t>(e.ret) : uint64_t{0};
      if (ok && moves_data(e.sys)) {
        Flow& f = flows[{static_cast<uint8_t>(e.sys), e.a, e.b}];
        f = {Role::Sender, static_cast<uint8_t>(e.sys), e.a, e.b, f.calls + 1, f.bytes + ret};
        if (is_socket(e.b) && tcp_sink) c.loopback_xmit_bytes += ret;
      }
      const bool file_map = ok && e.sys == CS_SYS_MMAP && e.a == CS_FD_FILE;
      if (file_map) {
        ++file_maps;
        mapped_bytes += e.arg1;
      }
      ThreadCalls& t = threads[uint64_t{e.tid} << 16 | e.sys];
      t.tid = e.tid;
      t.tgid = e.tgid;
      t.sys = e.sys;
      ++t.calls;
      if (ok) {
        ++t.ok_calls;
        t.ok_bytes += ret;
        t.file_maps += file_map;
      }
      break;
    }
    case CS_EV_BLOCK:
      ++c.dma_ops;
      c.dma_bytes += e.arg1;
      (e.a ? c.dma_write_bytes : c.dma_read_bytes) += e.arg1;
      break;
    case CS_EV_FAULT:
      ++(e.a ? c.page_faults_user : c.page_faults_kernel);
      break;
    case CS_EV_SWITCH_OUT:
      ++c.ctx_switches;
      if (!e.a) ++c.ctx_switches_involuntary;
      break;
    default:
      break;
  }
}

EventTally& EventTally::operator+=(const EventTally& o) {
  events += o.events;
  RoleCounters& c = sender;
  const RoleCounters& d = o.sender;
  c.syscall_enters += d.syscall_enters;
  c.syscall_exits += d.syscall_exits;
  c.ctx_switches += d.ctx_switches;
  c.ctx_switches_involuntary += d.ctx_switches_involuntary;
  c.page_faults_user += d.page_faults_user;
  c.page_faults_kernel += d.page_faults_kernel;
  c.dma_ops += d.dma_ops;
  c.dma_bytes += d.dma_bytes;
  c.dma_read_bytes += d.dma_read_bytes;
  c.dma_write_bytes += d.dma_write_bytes;
  c.loopback_xmit_bytes += d.loopback_xmit_bytes;
  for (unsigned i = 0; i < CS_SYS_MAX; ++i) c.sys_calls[i] += d.sys_calls[i];
  for (const auto& [k, f] : o.flows) {
    Flow& g = flows[k];
    g = {f.role, f.sys, f.src, f.dst, g.calls + f.calls, g.bytes + f.bytes};
  }
  for (unsigned r = 0; r < CS_ROLE_MAX; ++r) cow_faults[r] += o.cow_faults[r];
  file_maps += o.file_maps;
  mapped_bytes += o.mapped_bytes;
  for (const auto& [k, t] : o.threads) {
    ThreadCalls& u = threads[k];
    u.tid = t.tid;
    u.tgid = t.tgid;
    u.sys = t.sys;
    u.calls += t.calls;
    u.ok_calls += t.ok_calls;
    u.ok_bytes += t.ok_bytes;
    u.file_maps += t.file_maps;
  }
  return *this;
}

void thin_events(EventLog& log, uint32_t stride, EventTally& thinned) {
  // In place and in order (a partition would ask for a buffer as large as the log).
  size_t to = 0;
  for (const Event& e : log) {
    if (kept_at_stride(e, stride))
      log[to++] = e;
    else
      thinned.add(e);
  }
  log.resize(to);
}

bool thin_to_budget(Run& run, size_t budget) {
  bool thinned = false;
  while (run.events.size() > budget && run.event_stride < kMaxEventStride) {
    run.event_stride *= 2;
    thin_events(run.events, run.event_stride, run.thinned);
    thinned = true;
  }
  return thinned;
}

EventTally tally_events(const Run& run) {
  EventTally t = run.thinned;
  t.tcp_sink = run.params.sink == "tcp";
  for (const Event& e : run.events) t.add(e);
  return t;
}

}  // namespace copyscope
