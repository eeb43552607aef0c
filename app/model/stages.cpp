#include "model/stages.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "model/analysis.h"
#include "model/format.h"

namespace copyscope {

namespace {

constexpr uint64_t kPage = 4096;
// x86 page-fault error code: the page was present (PROT) and the access a write.
constexpr uint64_t kFaultProtWrite = 0x3;

bool is_uring_flow(uint8_t sys) { return sys >= CS_FLOW_URING_READ && sys <= CS_FLOW_URING_OTHER; }

}  // namespace

bool is_socket(uint8_t kind) { return kind == CS_FD_TCP || kind == CS_FD_SOCKET; }

bool moves_data(unsigned sys) {
  switch (sys) {
    case CS_SYS_OTHER:
    case CS_SYS_MMAP:
    case CS_SYS_MUNMAP:
    case CS_SYS_IO_URING_ENTER:
    case CS_SYS_FTRUNCATE:
    case CS_SYS_CLONE:
    case CS_SYS_FORK:
    case CS_SYS_WAIT4:
      return false;
  }
  return true;
}

uint8_t sink_fd_kind(const std::string& sink) {
  if (sink == "tcp") return CS_FD_TCP;
  if (sink == "file") return CS_FD_FILE;
  if (sink == "pipe") return CS_FD_PIPE;
  if (sink == "null") return CS_FD_CHAR;
  return CS_FD_NONE;
}

bool is_cow_fault(const Event& e) {
  return e.type == CS_EV_FAULT && e.a == 1 && (e.arg1 & kFaultProtWrite) == kFaultProtWrite;
}

const char* stage_kind_name(StageKind kind) {
  switch (kind) {
    case StageKind::CpuCopy:
      return "cpu_copy";
    case StageKind::Dma:
      return "dma";
    case StageKind::PageRef:
      return "page_ref";
    case StageKind::Handoff:
      return "handoff";
  }
  return "?";
}

std::string place_of_source(uint8_t k) {
  switch (k) {
    case CS_FD_USER:
      return "user_buffer";
    case CS_FD_FILE:
      return "page_cache";
    case CS_FD_FILE_DIRECT:
      return "disk";
    case CS_FD_PIPE:
      return "pipe";
    case CS_FD_TCP:
    case CS_FD_SOCKET:
      return "socket_buffer";
    case CS_FD_CHAR:
      return "device";
  }
  return "kernel";
}

std::string place_of_destination(uint8_t k, uint8_t src) {
  switch (k) {
    case CS_FD_USER:
      return "user_buffer";
    case CS_FD_FILE:
      return "dest_page_cache";
    case CS_FD_FILE_DIRECT:
      return "dest_disk";
    case CS_FD_PIPE:
      return src == CS_FD_PIPE ? "dest_pipe" : "pipe";
    case CS_FD_TCP:
    case CS_FD_SOCKET:
      return "socket_buffer";
    case CS_FD_CHAR:
      return "null_device";
  }
  return "kernel";
}

namespace {

// With measured DMA, a DMA stage names the driver that mapped most for its
// kind of device and direction (the disk reads into memory, a card reads the
// packets from it), and says what the dma:* tracepoints saw.
// A copy measured inside io_uring_enter belongs to one of the ring's requests,
// but the routine only sees the enter call: the request is the io_uring flow
// whose direction the copy has (into the user buffer: a read; out of it: a
// write or send that copies; kernel to kernel: neither end in user memory),
// the largest such flow that copies when several do.
std::optional<Flow> uring_flow_of(const MeasuredCopy& m, const std::vector<CopyAttribution>& copies) {
  if (m.sys != CS_SYS_IO_URING_ENTER) return std::nullopt;
  const CopyAttribution* best = nullptr;
  for (const CopyAttribution& a : copies) {
    const Flow& f = a.flow;
    if (!is_uring_flow(f.sys)) continue;
    const bool fits = m.dir == CS_COPY_TO_USER     ? f.dst == CS_FD_USER
                      : m.dir == CS_COPY_FROM_USER ? f.src == CS_FD_USER
                                                   : f.src != CS_FD_USER && f.dst != CS_FD_USER;
    if (!fits) continue;
    const auto rank = [](const CopyAttribution& x) { return std::make_pair(x.copy_bytes > 0, x.flow.bytes); };
    if (!best || rank(a) > rank(*best)) best = &a;
  }
  if (!best) return std::nullopt;
  return best->flow;
}

void name_dma_drivers(const Run& run, std::vector<Stage>& stages) {
  if (run.kernel.dma_accounting != "measured") return;
  for (Stage& st : stages) {
    if (st.kind != StageKind::Dma) continue;
    const bool nic = st.device == "nic";
    const std::string direction = nic || st.to == "dest_disk" ? "to_device" : "from_device";
    std::map<std::string, uint64_t> by_driver;
    for (const DmaMapping& m : run.dma_mappings)
      if (m.device == (nic ? "nic" : "disk") && m.direction == direction) by_driver[m.driver] += m.bytes;
    const auto most = std::max_element(by_driver.begin(), by_driver.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    if (most == by_driver.end()) continue;
    st.dma_driver = most->first;
    st.rule = direction == "to_device" ? say("%s; the dma:* tracepoints saw %s map %s for the device to read", st.rule,
                                             st.dma_driver, format_bytes(most->second))
                                       : say("%s; the dma:* tracepoints saw %s map %s for the device to write", st.rule,
                                             st.dma_driver, format_bytes(most->second));
  }
}

}  // namespace

std::vector<Stage> build_stages(const Run& run, const Summary& s, const EventTally& tally) {
  std::vector<Stage> out;
  const Counts& c = s.counters;
  const RoleCounters& rc = run.sender();
  const bool measured = c.copies_measured;
  const std::string copy_accounting = measured ? "measured" : "attributed";
  auto add = [&](Stage st) {
    if (st.bytes) out.push_back(std::move(st));
  };

  // The disk's DMA, from the block layer's requests (issue to completion).
  bool direct_read = false, direct_write = false;
  const bool mapped = tally.file_maps > 0;
  const uint64_t mapped_bytes = tally.mapped_bytes;
  for (const Flow& f : run.flows) {
    if (f.role != Role::Sender) continue;
    direct_read |= f.src == CS_FD_FILE_DIRECT;
    direct_write |= f.dst == CS_FD_FILE_DIRECT;
  }
  const uint64_t disk_read = std::min(rc.dma_read_bytes, c.disk_dma_bytes);
  const uint64_t disk_write = c.disk_dma_bytes - disk_read;
  const std::string dest_disk = run.params.sink == "file" ? "dest_disk" : "disk";
  add({StageKind::Dma, "disk", direct_read ? "user_buffer" : "page_cache", disk_read,
       direct_read ? N_("O_DIRECT: the disk controller writes straight into the user buffer (block requests, issue to "
                     "completion)")
                   : N_("the disk controller fills page-cache pages (block requests, issue to completion; readahead "
                        "may fetch more than the program asked for)"),
       "measured", "block", StageDriver::DiskRead});
  add({StageKind::Dma, direct_write ? "user_buffer" : "dest_page_cache", dest_disk, disk_write,
       direct_write ? N_("O_DIRECT: the disk controller reads straight from the user buffer")
                    : N_("writeback: the disk controller reads dirty page-cache pages (usually after the transfer, "
                         "when the flusher threads write them back)"),
       "measured", "block", StageDriver::DiskWrite});

  // CPU copies and page references, per flow of the sender.
  std::map<std::tuple<uint8_t, uint8_t, uint8_t>, uint64_t> measured_by_flow;
  if (measured)
    for (const MeasuredCopy& m : s.measured_copies) {
      const std::optional<Flow> uring = uring_flow_of(m, s.copies);
      if (uring)
        measured_by_flow[{uring->sys, uring->src, uring->dst}] += m.bytes;
      else
        measured_by_flow[{m.sys, m.src, m.dst}] += m.bytes;
    }
  for (const CopyAttribution& a : s.copies) {
    const Flow& f = a.flow;
    Stage st;
    st.sys = f.sys;
    st.src = f.src;
    st.dst = f.dst;
    st.driver = f.sys == kFlowCowFault ? StageDriver::CowFault
                : is_uring_flow(f.sys) ? StageDriver::UringEnter
                                       : StageDriver::Syscalls;
    if (f.sys == kFlowCowFault) {
      st.from = "shared_page";
      st.to = "child_page";
    } else {
      st.from = place_of_source(f.src);
      st.to = place_of_destination(f.dst, f.src);
    }
    const std::string name = flow_name(f.sys);
    uint64_t copied = a.copy_bytes;
    // Copy-on-write copies are counted from the faults either way (count_role).
    if (measured && f.sys != kFlowCowFault) {
      auto it = measured_by_flow.find({f.sys, f.src, f.dst});
      copied = it == measured_by_flow.end() ? 0 : it->second;
      if (it != measured_by_flow.end()) measured_by_flow.erase(it);
    }
    Stage cpu = st;
    cpu.kind = StageKind::CpuCopy;
    cpu.bytes = copied;
    cpu.rule = say("%s: %s", name, both(a.rule.why.c_str()));
    cpu.accounting = f.sys == kFlowCowFault ? "attributed" : copy_accounting;
    add(cpu);
    // What moved without a copy went by reference, unless a device moved it
    // (O_DIRECT) or nothing did (/dev/zero, /dev/null).
    const bool by_device = f.src == CS_FD_FILE_DIRECT || f.dst == CS_FD_FILE_DIRECT;
    const bool nothing = f.src == CS_FD_CHAR || f.dst == CS_FD_CHAR;
    // By the rule, not by what the copy routines saw: a copy they missed is not a reference.
    if (a.rule.shares_extents) {
      Stage ref = st;
      ref.kind = StageKind::PageRef;
      ref.from = "disk";
      ref.to = "dest_disk";
      ref.bytes = f.bytes;
      ref.rule = say("%s: %s", name, both(a.rule.why.c_str()));
      ref.accounting = "attributed";
      add(ref);
    } else if (a.rule.known && !by_device && !nothing && f.bytes > a.copy_bytes && f.sys != kFlowCowFault) {
      Stage ref = st;
      ref.kind = StageKind::PageRef;
      ref.bytes = f.bytes - a.copy_bytes;
      ref.rule = say("%s: %s", name, both(a.rule.why.c_str()));
      ref.accounting = "attributed";
      add(ref);
    }
  }
  // Copies the routines measured outside any flow.
  for (const auto& [key, bytes] : measured_by_flow) {
    const auto [sys, src, dst] = key;
    Stage st{StageKind::CpuCopy,
             place_of_source(src),
             place_of_destination(dst, src),
             bytes,
             say("%s: measured at the copy routines, no data flow of the sender matched", flow_name(sys)),
             "measured",
             "",
             StageDriver::Syscalls,
             sys,
             src,
             dst};
    add(st);
  }
  // A mapped file: the page-cache pages are mapped into the process, not copied.
  if (mapped && c.page_faults) {
    const uint64_t cap = run.params.size ? run.params.size : mapped_bytes;
    add({StageKind::PageRef, "page_cache", "user_buffer", std::min(mapped_bytes, cap),
         N_("mmap: page faults map the file's page-cache pages into the process (several at a time, fault-around); "
         "nothing is copied"),
         "attributed", "", StageDriver::MapFault});
  }

  // The way out to the network.
  add({StageKind::Dma, "socket_buffer", "nic", c.nic_dma_bytes,
       N_("the network card's driver maps the packets for DMA and the card reads them (transmits counted in the kernel)"),
       "measured", "nic", StageDriver::SinkSends});
  add({StageKind::Handoff, "socket_buffer", "nic", c.loopback_bytes,
       N_("loopback has no network card: each packet is handed to the receiving socket in software (loopback_xmit), "
       "which is not DMA; the bytes are whole packets, so headers and any retransmission count too"),
       "measured", "lo", StageDriver::SinkSends});
  name_dma_drivers(run, out);
  return out;
}

namespace {

// Splits `total` over the weights so that the parts add up to it exactly.
void apportion(uint64_t total, const std::vector<std::pair<uint32_t, uint64_t>>& weighted, uint32_t stage,
               const EventLog& ev, std::vector<StagePoint>& out) {
  long double sum = 0;
  for (const auto& w : weighted) sum += static_cast<long double>(w.second);
  uint64_t given = 0;
  long double cum = 0;
  for (const auto& [idx, w] : weighted) {
    cum += static_cast<long double>(w);
    const uint64_t upto =
        sum > 0 ? static_cast<uint64_t>(std::llround(static_cast<long double>(total) * cum / sum)) : 0;
    const Event& e = ev[idx];
    const uint64_t at = e.type == CS_EV_SYSCALL || e.type == CS_EV_BLOCK ? e.ts + e.dur : e.ts;
    if (upto > given) out.push_back({at, upto - given, idx, stage});
    given = std::max(given, upto);
  }
}

}  // namespace

StageTimeline place_stages(const Run& run, const std::vector<Stage>& stages) {
  StageTimeline tl;
  const EventLog& ev = run.events;
  uint64_t first = UINT64_MAX, last = 0;
  for (const Event& e : ev) {
    if (e.ts == 0) continue;
    first = std::min<uint64_t>(first, e.ts);
    last = std::max<uint64_t>(last, e.ts);
    if (e.type == CS_EV_PHASE && e.role == CS_ROLE_SENDER) (e.a ? tl.phase_begin : tl.phase_end) = e.ts;
  }
  if (first == UINT64_MAX) first = last = 0;
  if (!tl.phase_begin) tl.phase_begin = first;
  if (!tl.phase_end || tl.phase_end < tl.phase_begin) tl.phase_end = std::max(last, tl.phase_begin);

  const uint8_t sink_kind = run.params.sink == "tcp" ? CS_FD_TCP : CS_FD_NONE;
  bool mapped_at = false;
  uint64_t map_ts = UINT64_MAX;
  for (const Event& e : ev)
    if (e.type == CS_EV_SYSCALL && e.role == CS_ROLE_SENDER && e.sys == CS_SYS_MMAP && e.a == CS_FD_FILE) {
      map_ts = std::min<uint64_t>(map_ts, e.ts);
      mapped_at = true;
    }
  for (uint32_t si = 0; si < stages.size(); ++si) {
    const Stage& st = stages[si];
    std::vector<std::pair<uint32_t, uint64_t>> w;
    auto collect = [&](auto&& weight) {
      for (uint32_t i = 0; i < ev.size(); ++i)
        if (ev[i].role == CS_ROLE_SENDER)
          if (const uint64_t x = weight(ev[i])) w.push_back({i, x});
    };
    switch (st.driver) {
      case StageDriver::DiskRead:
      case StageDriver::DiskWrite: {
        const uint8_t write = st.driver == StageDriver::DiskWrite;
        collect([&](const Event& e) { return e.type == CS_EV_BLOCK && e.a == write ? e.arg1 : uint64_t{0}; });
        break;
      }
      case StageDriver::Syscalls:
        collect([&](const Event& e) {
          return e.type == CS_EV_SYSCALL && e.sys == st.sys && e.a == st.src && e.b == st.dst && e.ret > 0
                     ? static_cast<uint64_t>(e.ret)
                     : uint64_t{0};
        });
        break;
      case StageDriver::UringEnter:
        collect(
            [](const Event& e) { return e.type == CS_EV_SYSCALL && e.sys == CS_SYS_IO_URING_ENTER ? uint64_t{1} : 0; });
        break;
      case StageDriver::CowFault:
        collect([](const Event& e) { return is_cow_fault(e) ? uint64_t{1} : 0; });
        break;
      case StageDriver::MapFault:
        collect([&](const Event& e) { return mapped_at && e.type == CS_EV_FAULT && e.ts >= map_ts ? uint64_t{1} : 0; });
        break;
      case StageDriver::SinkSends:
        collect([&](const Event& e) {
          return e.type == CS_EV_SYSCALL && sink_kind && is_socket(e.b) && e.ret > 0 ? static_cast<uint64_t>(e.ret)
                                                                                     : uint64_t{0};
        });
        if (w.empty())  // io_uring sends: the submitting calls
          collect([](const Event& e) {
            return e.type == CS_EV_SYSCALL && e.sys == CS_SYS_IO_URING_ENTER ? uint64_t{1} : 0;
          });
        break;
    }
    if (w.empty()) {
      tl.points.push_back({tl.phase_end, st.bytes, UINT32_MAX, si});
      continue;
    }
    apportion(st.bytes, w, si, ev, tl.points);
  }
  std::stable_sort(tl.points.begin(), tl.points.end(),
                   [](const StagePoint& a, const StagePoint& b) { return a.ts < b.ts; });
  const uint8_t sink = sink_fd_kind(run.params.sink);
  for (const Event& e : ev)
    if (e.type == CS_EV_SYSCALL && e.role == CS_ROLE_SENDER && e.ret > 0 && sink != CS_FD_NONE && e.b == sink &&
        moves_data(e.sys))
      tl.delivered.push_back({e.ts + e.dur, static_cast<uint64_t>(e.ret)});
  return tl;
}

Run facts_from_events(const Run& live) {
  Run r;
  r.params = live.params;
  r.kernel = live.kernel;
  r.kernel.copy_accounting = "attributed";  // measured totals are read when the run ends
  r.result = live.result;
  r.thinned = live.thinned;
  r.event_stride = live.event_stride;
  const EventTally t = tally_events(live);
  r.counters[CS_ROLE_SENDER] = t.sender;
  for (const auto& [k, f] : t.flows) r.flows.push_back(f);
  return r;
}

}  // namespace copyscope
