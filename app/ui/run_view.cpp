#include "ui/run_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace copyscope::ui {

uint64_t ArrowTrack::at(uint64_t t) const {
  auto it = std::upper_bound(ts.begin(), ts.end(), t);
  if (it == ts.begin()) return 0;
  return cum[static_cast<size_t>(it - ts.begin()) - 1];
}

void SpanLevels::build(std::vector<Span> raw) {
  levels.clear();
  gap.clear();
  max_end.clear();
  std::sort(raw.begin(), raw.end(), [](const Span& a, const Span& b) { return a.t0 < b.t0; });
  for (Span& s : raw) s.busy = s.longest = s.t1 - s.t0;
  levels.push_back(std::move(raw));
  gap.push_back(0);
  // Each level merges spans separated by less than 4x the previous gap, until a
  // whole lane fits in a few dozen spans.
  uint64_t g = 256;
  while (levels.back().size() > 64 && levels.size() < 24) {
    const auto& prev = levels.back();
    std::vector<Span> next;
    next.reserve(prev.size() / 2 + 1);
    for (const Span& s : prev) {
      if (!next.empty() && s.t0 <= next.back().t1 + g) {
        Span& m = next.back();
        m.t1 = std::max(m.t1, s.t1);
        m.count += s.count;
        m.busy += s.busy;
        if (s.longest > m.longest) {
          m.longest = s.longest;
          m.key = s.key;
        }
      } else {
        next.push_back(s);
      }
    }
    const bool shrunk = next.size() < prev.size();
    levels.push_back(std::move(next));
    gap.push_back(g);
    g *= 4;
    if (!shrunk && g > (1ull << 40)) break;
  }
  for (const auto& lv : levels) {
    std::vector<uint64_t> me(lv.size());
    uint64_t m = 0;
    for (size_t i = 0; i < lv.size(); ++i) me[i] = m = std::max(m, lv[i].t1);
    max_end.push_back(std::move(me));
  }
}

const std::vector<Span>& SpanLevels::pick(double ns_per_px, size_t* level) const {
  size_t best = 0;
  for (size_t i = 1; i < levels.size(); ++i)
    if (static_cast<double>(gap[i]) <= ns_per_px) best = i;
  if (level) *level = best;
  static const std::vector<Span> kEmpty;
  return levels.empty() ? kEmpty : levels[best];
}

size_t SpanLevels::first_visible(size_t level, uint64_t t) const {
  const auto& me = max_end[level];
  return static_cast<size_t>(std::lower_bound(me.begin(), me.end(), t) - me.begin());
}

int RunView::step_at(uint64_t t) const {
  auto it = std::upper_bound(step_hits.begin(), step_hits.end(), t,
                             [](uint64_t v, const StepHit& h) { return v < h.ts; });
  if (it == step_hits.begin()) return -1;
  return std::prev(it)->step;
}

size_t RunView::switches_at(uint64_t t) const {
  return static_cast<size_t>(std::upper_bound(mode_switch_ts.begin(), mode_switch_ts.end(), t) -
                             mode_switch_ts.begin());
}

uint64_t RunView::next_step_time(uint64_t t) const {
  auto it = std::upper_bound(step_hits.begin(), step_hits.end(), t,
                             [](uint64_t v, const StepHit& h) { return v < h.ts; });
  return it == step_hits.end() ? t : it->ts;
}

namespace {

uint8_t sink_fd_kind(const std::string& sink) {
  if (sink == "tcp") return CS_FD_TCP;
  if (sink == "file") return CS_FD_FILE;
  if (sink == "pipe") return CS_FD_PIPE;
  if (sink == "null") return CS_FD_CHAR;
  return CS_FD_NONE;
}

const DiagramBox* find_box(const TextbookMethod& tb, const std::string& id) {
  for (const auto& b : tb.boxes)
    if (b.id == id) return &b;
  return nullptr;
}

void add_point(ArrowTrack& a, uint64_t ts, uint64_t bytes) {
  a.total += bytes;
  a.ts.push_back(ts);
  a.cum.push_back(a.total);
}

}  // namespace

RunView build_view(const Run& run, const TextbookMethod* tb, bool finished, size_t nbins) {
  RunView v;
  v.textbook = tb;
  v.event_count = run.events.size();
  const auto& ev = run.events;
  const KernelVersion kv = KernelVersion::parse(run.kernel.release);

  // The transfer phase: the sender's USDT markers, else the events' extent.
  uint64_t first = UINT64_MAX, last = 0, pb = 0, pe = 0;
  for (const Event& e : ev) {
    if (e.ts == 0) continue;
    first = std::min<uint64_t>(first, e.ts);
    last = std::max<uint64_t>(last, e.ts + (e.type == CS_EV_SYSCALL || e.type == CS_EV_BLOCK ? e.dur : 0));
    if (e.type == CS_EV_PHASE && e.role == CS_ROLE_SENDER) (e.a ? pb : pe) = e.ts;
  }
  if (first == UINT64_MAX) first = last = 0;
  v.t0 = pb ? pb : first;
  v.t1 = pe > v.t0 ? pe : std::max(last, v.t0 + 1);

  // Arrows: what feeds each one.
  const size_t na = tb ? tb->arrows.size() : 0;
  v.arrows.resize(na);
  std::vector<int> arrow_sys(na, -1);  // syscall that drives a cpu/share arrow
  std::vector<char> arrow_fault(na, 0);
  enum Src { kNone, kDiskRead, kDiskWrite, kNic, kSys, kFault } ;
  std::vector<Src> src(na, kNone);
  for (size_t i = 0; i < na; ++i) {
    const DiagramArrow& a = tb->arrows[i];
    const DiagramBox* from = find_box(*tb, a.from);
    const DiagramBox* to = find_box(*tb, a.to);
    if (a.kind == "dma" && to && to->id == "nic") src[i] = kNic;
    else if (a.kind == "dma" && from && from->band == "hardware") src[i] = kDiskRead;
    else if (a.kind == "dma" && to && to->band == "hardware") src[i] = kDiskWrite;
    else {
      for (const auto& s : tb->steps)
        if (s.n == a.step) {
          if (s.trigger.event == "syscall") {
            arrow_sys[i] = syscall_from_name(s.trigger.sys);
            src[i] = kSys;
          } else if (s.trigger.event == "fault") {
            src[i] = kFault;
          }
        }
    }
    (void)arrow_fault;
  }

  // Steps: several steps may be triggered by the same call (enter, inside, exit).
  std::map<int, std::vector<int>> steps_by_sys;
  std::map<std::string, std::vector<int>> steps_by_event;
  if (tb)
    for (size_t i = 0; i < tb->steps.size(); ++i) {
      const auto& t = tb->steps[i].trigger;
      if (t.event == "syscall")
        steps_by_sys[syscall_from_name(t.sys)].push_back(static_cast<int>(i));
      else
        steps_by_event[t.event].push_back(static_cast<int>(i));
    }
  auto hit_event = [&](const std::string& name, uint64_t ts) {
    auto it = steps_by_event.find(name);
    if (it != steps_by_event.end())
      for (int s : it->second) v.step_hits.push_back({ts, s});
  };

  // Bins for the plots.
  nbins = std::max<size_t>(nbins, 1);
  Bins& b = v.bins;
  b.t0 = v.t0;
  b.width = std::max<uint64_t>(1, (v.t1 - v.t0 + nbins - 1) / nbins);
  for (auto* s : {&b.cpu_bytes, &b.dma_bytes, &b.payload_bytes, &b.mode_switches, &b.ctx_switches, &b.faults})
    s->assign(nbins, 0.0);
  auto bin = [&](uint64_t ts) -> long {
    if (ts < v.t0 || ts > v.t1) return -1;
    return std::min<long>(static_cast<long>((ts - v.t0) / b.width), static_cast<long>(nbins) - 1);
  };
  const uint8_t sink_kind = sink_fd_kind(run.params.sink);

  // Timeline lanes, one per thread.
  std::map<uint32_t, size_t> lane_of;
  std::vector<std::vector<Span>> sys_spans, off_spans, tick_spans;
  std::map<uint32_t, uint64_t> off_since;
  auto lane = [&](const Event& e) -> size_t {
    auto it = lane_of.find(e.tid);
    if (it != lane_of.end()) return it->second;
    Lane l;
    l.tid = e.tid;
    l.role = e.role;
    auto n = run.thread_names.find(e.tid);
    char buf[96];
    if (e.tid == 0)
      std::snprintf(buf, sizeof buf, "%s", "softirq / IRQ");
    else
      std::snprintf(buf, sizeof buf, "%s %s %u", e.role == CS_ROLE_SINK ? "sink" : "sender",
                    n != run.thread_names.end() ? n->second.c_str() : "tid", e.tid);
    l.name = buf;
    v.lanes.push_back(std::move(l));
    sys_spans.emplace_back();
    off_spans.emplace_back();
    tick_spans.emplace_back();
    lane_of[e.tid] = v.lanes.size() - 1;
    return v.lanes.size() - 1;
  };
  // Block I/O gets a lane of its own: the disk works while the thread sleeps.
  Lane disk;
  disk.name = "disk (block I/O)";
  std::vector<Span> disk_spans;

  // Bytes the sender handed towards the sink, by time: transmits are counted in
  // the kernel, not emitted one by one, so the NIC stage follows these calls.
  std::vector<std::pair<uint64_t, uint64_t>> to_sink;
  bool saw_xmit = false;

  // Measured copies are exact totals per (syscall, source, destination), read
  // when the run ends; the calls' times spread them, in proportion to the bytes
  // each call moved. Until then (a live run) attribution stands in.
  using FlowKey = std::tuple<uint8_t, uint8_t, uint8_t>;
  const bool measured = copies_measured(run) && (finished || !run.measured_copies.empty());
  std::map<FlowKey, std::pair<uint64_t, uint64_t>> measured_share;  // copied, moved
  if (measured) {
    for (const MeasuredCopy& m : run.measured_copies)
      if (m.role == Role::Sender) measured_share[{m.sys, m.src, m.dst}].first += m.bytes;
    for (const Event& e : ev)
      if (e.type == CS_EV_SYSCALL && e.role == CS_ROLE_SENDER && e.ret > 0)
        measured_share[{static_cast<uint8_t>(e.sys), e.a, e.b}].second += static_cast<uint64_t>(e.ret);
  }
  for (size_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    const uint32_t idx = static_cast<uint32_t>(i);
    const bool sender = e.role == CS_ROLE_SENDER;
    switch (e.type) {
      case CS_EV_SYSCALL: {
        size_t l = lane(e);
        sys_spans[l].push_back({e.ts, e.ts + e.dur, idx, 1, e.sys});
        if (!sender) break;
        v.mode_switch_ts.push_back(e.ts);
        v.mode_switch_ts.push_back(e.ts + e.dur);
        long bi = bin(e.ts + e.dur);
        if (bi >= 0) b.mode_switches[bi] += 2;
        const uint64_t bytes = e.ret > 0 ? static_cast<uint64_t>(e.ret) : 0;
        const CopyRule rule = copy_rule(Flow{Role::Sender, static_cast<uint8_t>(e.sys), e.a, e.b, 1, bytes}, kv);
        uint64_t cpu = static_cast<uint64_t>(std::llround(rule.copies_per_byte * static_cast<double>(bytes)));
        if (measured) {
          auto it = measured_share.find({static_cast<uint8_t>(e.sys), e.a, e.b});
          cpu = it == measured_share.end() || it->second.second == 0
                    ? 0
                    : static_cast<uint64_t>(std::llround(static_cast<double>(it->second.first) *
                                                         static_cast<double>(bytes) /
                                                         static_cast<double>(it->second.second)));
        }
        if (bi >= 0) {
          b.cpu_bytes[bi] += static_cast<double>(cpu);
          if (e.b == sink_kind) b.payload_bytes[bi] += static_cast<double>(bytes);
        }
        if (e.b == sink_kind && bytes) to_sink.push_back({e.ts + e.dur, bytes});
        for (size_t a = 0; a < na; ++a) {
          if (src[a] != kSys || arrow_sys[a] != e.sys || bytes == 0) continue;
          ArrowTrack& t = v.arrows[a];
          t.moved_bytes += bytes;
          const uint64_t carried = tb->arrows[a].kind == "cpu" ? cpu : bytes;
          if (tb->arrows[a].kind == "cpu" && cpu == 0 && t.why.empty())
            t.why = measured ? "measured: no copy routine copied these calls' data" +
                                   (rule.copies_per_byte == 0 ? "; " + rule.why : std::string())
                             : rule.why;
          add_point(t, e.ts + e.dur, carried);
        }
        auto it = steps_by_sys.find(e.sys);
        if (it != steps_by_sys.end()) {
          const auto& ss = it->second;
          const size_t k = ss.size();
          for (size_t j = 0; j < k; ++j) {
            uint64_t at = k == 1 ? e.ts : e.ts + e.dur * j / (k - 1);
            v.step_hits.push_back({at, ss[j]});
          }
        }
        break;
      }
      case CS_EV_BLOCK: {
        disk_spans.push_back({e.ts, e.ts + e.dur, idx, 1, static_cast<uint16_t>(e.a ? kBlockWrite : kBlockRead)});
        long bi = bin(e.ts + e.dur);
        if (bi >= 0) b.dma_bytes[bi] += static_cast<double>(e.arg1);
        for (size_t a = 0; a < na; ++a)
          if ((src[a] == kDiskRead && !e.a) || (src[a] == kDiskWrite && e.a)) add_point(v.arrows[a], e.ts + e.dur, e.arg1);
        hit_event("block", e.ts);
        break;
      }
      case CS_EV_NET_XMIT: {
        saw_xmit = true;
        if (e.tid) {
          size_t l = lane(e);
          tick_spans[l].push_back({e.ts, e.ts, idx, 1, kNetXmit});
        }
        long bi = bin(e.ts);
        if (bi >= 0 && !e.a) b.dma_bytes[bi] += static_cast<double>(e.arg1);
        for (size_t a = 0; a < na; ++a)
          if (src[a] == kNic) {
            add_point(v.arrows[a], e.ts, e.arg1);
            if (e.a) v.arrows[a].software = true;
          }
        hit_event("net_xmit", e.ts);
        break;
      }
      case CS_EV_FAULT: {
        size_t l = lane(e);
        tick_spans[l].push_back({e.ts, e.ts, idx, 1, kFault});
        long bi = bin(e.ts);
        if (bi >= 0 && sender) b.faults[bi] += 1;
        if (sender)
          for (size_t a = 0; a < na; ++a)
            if (src[a] == kFault) add_point(v.arrows[a], e.ts, 4096);
        if (sender) hit_event("fault", e.ts);
        break;
      }
      case CS_EV_SWITCH_OUT: {
        lane(e);
        off_since[e.tid] = e.ts;
        long bi = bin(e.ts);
        if (bi >= 0 && sender) b.ctx_switches[bi] += 1;
        if (sender) hit_event("switch", e.ts);
        break;
      }
      case CS_EV_SWITCH_IN: {
        size_t l = lane(e);
        auto it = off_since.find(e.tid);
        if (it != off_since.end() && it->second <= e.ts) {
          off_spans[l].push_back({it->second, e.ts, idx, 1, kOffCpu});
          off_since.erase(it);
        }
        break;
      }
      case CS_EV_PAGE_CACHE_ADD:
        hit_event("page_cache_add", e.ts);
        break;
      case CS_EV_FORK:
        if (sender) hit_event("fork", e.ts);
        break;
      case CS_EV_PHASE:
        if (sender && !e.a) hit_event("phase_end", e.ts);
        break;
      default:
        break;
    }
  }
  for (auto& [tid, since] : off_since) {
    size_t l = lane_of[tid];
    off_spans[l].push_back({since, std::max(since, v.t1), 0, 1, kOffCpu});
  }
  for (size_t l = 0; l < v.lanes.size(); ++l) {
    v.lanes[l].syscalls.build(std::move(sys_spans[l]));
    v.lanes[l].offcpu.build(std::move(off_spans[l]));
    v.lanes[l].ticks.build(std::move(tick_spans[l]));
  }
  // Sender lanes first, then the sink, then the disk.
  std::stable_sort(v.lanes.begin(), v.lanes.end(), [](const Lane& a, const Lane& b) {
    auto rank = [](const Lane& l) { return l.tid == 0 ? 2 : l.role == CS_ROLE_SENDER ? 0 : 1; };
    return rank(a) < rank(b);
  });
  if (!disk_spans.empty()) {
    disk.syscalls.build(std::move(disk_spans));
    disk.offcpu.build({});
    disk.ticks.build({});
    v.lanes.push_back(std::move(disk));
  }

  if (!saw_xmit && run.params.sink == "tcp") {
    const RoleCounters& c = run.sender();
    const uint64_t counted = c.net_xmit_bytes + c.loopback_xmit_bytes;
    uint64_t handed = 0;
    for (const auto& [ts, bytes] : to_sink) handed += bytes;
    // Scale to the exact counters when the run is over; during a live run the
    // counters are not known yet, so the calls' own byte counts stand in.
    const double scale = finished && handed ? static_cast<double>(counted) / static_cast<double>(handed) : 1.0;
    for (size_t a = 0; a < na; ++a) {
      if (src[a] != kNic) continue;
      for (const auto& [ts, bytes] : to_sink)
        add_point(v.arrows[a], ts, static_cast<uint64_t>(std::llround(static_cast<double>(bytes) * scale)));
      v.arrows[a].software = c.net_xmit_bytes == 0;
    }
    for (const auto& [ts, bytes] : to_sink) hit_event("net_xmit", ts);
  }
  std::sort(v.mode_switch_ts.begin(), v.mode_switch_ts.end());
  std::stable_sort(v.step_hits.begin(), v.step_hits.end(),
                   [](const StepHit& x, const StepHit& y) { return x.ts < y.ts; });

  // A finished run proves which stages did not happen; say why.
  for (size_t a = 0; a < na; ++a) {
    ArrowTrack& t = v.arrows[a];
    t.measured = src[a] != kNone;
    const std::string& kind = tb->arrows[a].kind;
    if (kind == "cpu" && t.moved_bytes > 0 && t.total == 0) {
      t.happened = false;  // the call moved data, yet no CPU copy: e.g. sendfile to TCP since 6.5
    } else if (finished && t.total == 0 && src[a] != kNone) {
      t.happened = false;
      if (src[a] == kDiskRead)
        t.why = run.params.cache == "warm" ? "the file was already in the page cache (warm cache): no disk read"
                                           : "no block I/O was seen for the source file";
      else if (src[a] == kNic)
        t.why = run.params.sink == "tcp" ? "no transmit was seen" : "the sink is " + run.params.sink + ": no network card";
      else if (t.why.empty())
        t.why = "the run never made this call";
    }
    if (src[a] == kNic && t.software && t.why.empty())
      t.why = "loopback has no NIC: a software hand-off to the receiver, not DMA";
  }
  return v;
}

std::string format_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  else if (bytes >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
  else if (bytes >= 1024.0)
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  return buf;
}

std::string format_ns(double ns) {
  char buf[32];
  if (ns >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3f s", ns / 1e9);
  else if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  else if (ns >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1f us", ns / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  return buf;
}

}  // namespace copyscope::ui
