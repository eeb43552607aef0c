#include "ui/run_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace copyscope::ui {

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

RunView build_view(const Run& run, const Summary& s, const TextbookMethod* tb, bool finished, size_t nbins) {
  RunView v;
  v.textbook = tb;
  v.event_count = run.events.size();
  v.events_dropped = s.counters.events_dropped + s.receiver.events_dropped;
  v.event_stride = run.event_stride;
  const auto& ev = run.events;

  // What the events mean was decided by the model: stages placed in time.
  const StageTimeline tl = place_stages(run, s.stages);
  v.diagram = build_diagram(run, s, tl, tb, finished);

  // The transfer phase: the sender's USDT markers, else the events' extent.
  uint64_t last = tl.phase_end;
  for (const Event& e : ev)
    if (e.ts) last = std::max<uint64_t>(last, e.ts + (e.type == CS_EV_SYSCALL || e.type == CS_EV_BLOCK ? e.dur : 0));
  bool marked_end = false;
  for (const Event& e : ev)
    if (e.type == CS_EV_PHASE && e.role == CS_ROLE_SENDER && !e.a) marked_end = true;
  v.t0 = tl.phase_begin;
  v.t1 = marked_end && tl.phase_end > v.t0 ? tl.phase_end : std::max(last, v.t0 + 1);
  v.phase_marked = marked_end && tl.phase_end > v.t0;

  // Bins for the plots.
  nbins = std::max<size_t>(nbins, 1);
  Bins& b = v.bins;
  b.t0 = v.t0;
  b.width = std::max<uint64_t>(1, (v.t1 - v.t0 + nbins - 1) / nbins);
  for (auto* series : {&b.cpu_bytes, &b.dma_bytes, &b.payload_bytes, &b.mode_switches, &b.ctx_switches, &b.faults})
    series->assign(nbins, 0.0);
  auto bin = [&](uint64_t ts) -> long {
    if (ts < v.t0 || ts > v.t1) return -1;
    return std::min<long>(static_cast<long>((ts - v.t0) / b.width), static_cast<long>(nbins) - 1);
  };
  for (const StagePoint& p : tl.points) {
    const long bi = bin(p.ts);
    if (bi < 0 || p.stage >= s.stages.size()) continue;
    const StageKind k = s.stages[p.stage].kind;
    if (k == StageKind::CpuCopy) b.cpu_bytes[bi] += static_cast<double>(p.bytes);
    if (k == StageKind::Dma) b.dma_bytes[bi] += static_cast<double>(p.bytes);
  }
  for (const auto& [ts, bytes] : tl.delivered)
    if (const long bi = bin(ts); bi >= 0) b.payload_bytes[bi] += static_cast<double>(bytes);
  for (uint64_t ts : v.diagram.mode_switch_ts)
    if (const long bi = bin(ts); bi >= 0) b.mode_switches[bi] += 1;

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
    if (e.tid == 0) l.kind = LaneKind::Interrupt;
    auto n = run.thread_names.find(e.tid);
    char buf[96];
    if (e.tid == 0)
      std::snprintf(buf, sizeof buf, "%s", "softirq / IRQ");
    else
      std::snprintf(buf, sizeof buf, "%s %s %u", e.role == CS_ROLE_RECEIVER ? "receiver" : "sender",
                    n != run.thread_names.end() ? n->second.c_str() : "tid", e.tid);
    l.name = buf;
    if (e.tid != 0) {
      l.thread = n != run.thread_names.end() ? n->second : "";
      for (const ThreadUse& t : s.threads)
        if (t.tid == e.tid) l.thread_role = t.role;
    }
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
  disk.kind = LaneKind::Disk;
  std::vector<Span> disk_spans;
  for (size_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    const uint32_t idx = static_cast<uint32_t>(i);
    const bool sender = e.role == CS_ROLE_SENDER;
    switch (e.type) {
      case CS_EV_SYSCALL:
        sys_spans[lane(e)].push_back({e.ts, e.ts + e.dur, idx, 1, e.sys});
        break;
      case CS_EV_BLOCK:
        disk_spans.push_back({e.ts, e.ts + e.dur, idx, 1, static_cast<uint16_t>(e.a ? kBlockWrite : kBlockRead)});
        break;
      case CS_EV_NET_XMIT:
        if (e.tid) tick_spans[lane(e)].push_back({e.ts, e.ts, idx, 1, kNetXmit});
        break;
      case CS_EV_FAULT: {
        tick_spans[lane(e)].push_back({e.ts, e.ts, idx, 1, kFault});
        const long bi = bin(e.ts);
        if (bi >= 0 && sender) b.faults[bi] += 1;
        break;
      }
      case CS_EV_SWITCH_OUT: {
        lane(e);
        off_since[e.tid] = e.ts;
        const long bi = bin(e.ts);
        if (bi >= 0 && sender) b.ctx_switches[bi] += 1;
        break;
      }
      case CS_EV_SWITCH_IN: {
        const size_t l = lane(e);
        auto it = off_since.find(e.tid);
        if (it != off_since.end() && it->second <= e.ts) {
          off_spans[l].push_back({it->second, e.ts, idx, 1, kOffCpu});
          off_since.erase(it);
        }
        break;
      }
      default:
        break;
    }
  }
  for (auto& [tid, since] : off_since) {
    const size_t l = lane_of[tid];
    off_spans[l].push_back({since, std::max(since, v.t1), 0, 1, kOffCpu});
  }
  for (size_t l = 0; l < v.lanes.size(); ++l) {
    v.lanes[l].syscalls.build(std::move(sys_spans[l]));
    v.lanes[l].offcpu.build(std::move(off_spans[l]));
    v.lanes[l].ticks.build(std::move(tick_spans[l]));
  }
  // Sender lanes first, then the sink, then the disk.
  std::stable_sort(v.lanes.begin(), v.lanes.end(), [](const Lane& x, const Lane& y) {
    auto rank = [](const Lane& l) { return l.tid == 0 ? 2 : l.role == CS_ROLE_SENDER ? 0 : 1; };
    return rank(x) < rank(y);
  });
  if (!disk_spans.empty()) {
    disk.syscalls.build(std::move(disk_spans));
    disk.offcpu.build({});
    disk.ticks.build({});
    v.lanes.push_back(std::move(disk));
  }
  return v;
}

}  // namespace copyscope::ui
