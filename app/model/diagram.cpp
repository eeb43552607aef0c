#include "model/diagram.h"

#include <algorithm>

#include "model/format.h"

namespace copyscope {

uint64_t ArrowTrack::at(uint64_t t) const {
  auto it = std::upper_bound(ts.begin(), ts.end(), t);
  if (it == ts.begin()) return 0;
  return cum[static_cast<size_t>(it - ts.begin()) - 1];
}

namespace {

// A canonical place (assets/methods/ boxes' `is`) as words, for sentences.
const char* place_name(const std::string& id) {
  static const std::pair<const char*, const char*> names[] = {
      {"disk", N_("the disk")},
      {"page_cache", N_("the page cache")},
      {"user_buffer", N_("the user buffer")},
      {"pipe", N_("the pipe")},
      {"dest_pipe", N_("the destination pipe")},
      {"socket_buffer", N_("the socket buffer")},
      {"nic", N_("the network card")},
      {"dest_page_cache", N_("the destination's page cache")},
      {"dest_disk", N_("the destination disk")},
      {"shared_page", N_("the shared page")},
      {"child_page", N_("the child's page")},
  };
  for (const auto& [k, v] : names)
    if (id == k) return v;
  return id.c_str();
}


auto by_ts = [](uint64_t v, const StepHit& h) { return v < h.ts; };

}  // namespace

int DiagramState::step_at(uint64_t t) const {
  auto it = std::upper_bound(step_hits.begin(), step_hits.end(), t, by_ts);
  if (it == step_hits.begin()) return -1;
  return std::prev(it)->step;
}

size_t DiagramState::switches_at(uint64_t t) const {
  return static_cast<size_t>(std::upper_bound(mode_switch_ts.begin(), mode_switch_ts.end(), t) -
                             mode_switch_ts.begin());
}

uint64_t DiagramState::next_step_time(uint64_t t) const {
  auto it = std::upper_bound(step_hits.begin(), step_hits.end(), t, by_ts);
  return it == step_hits.end() ? t : it->ts;
}

const Text& DiagramState::box_label(const DiagramBox& b) const {
  auto it = box_labels.find(b.id);
  return it == box_labels.end() ? b.label : it->second;
}

namespace {

// The diagrams draw a TCP sink (socket buffer, NIC); other sinks put their
// own places in those boxes.
struct SinkPlaces {
  std::string buffer, device;
  Text buffer_label, device_label;
};

SinkPlaces sink_places(const std::string& sink, const TextbookMethod& tb) {
  if (sink == "file")
    return {"dest_page_cache",
            "dest_disk",
            {"Destination page cache", "目标文件的页缓存"},
            {"Disk (writeback)", "磁盘（回写）"}};
  if (sink == "pipe")
    return {tb.find_box("pipe") ? "dest_pipe" : "pipe",
            "none",
            {"Pipe to the reader", "通往读端的管道"},
            {"Reading process", "读取进程"}};
  if (sink == "null") return {"null_device", "none", {"/dev/null", "/dev/null"}, {"(nothing)", "（无）"}};
  return {"socket_buffer", "nic", {}, {}};
}

bool kind_matches(const std::string& arrow_kind, StageKind k) {
  if (arrow_kind == "cpu") return k == StageKind::CpuCopy;
  if (arrow_kind == "dma" || arrow_kind == "handoff") return k == StageKind::Dma || k == StageKind::Handoff;
  if (arrow_kind == "share" || arrow_kind == "descriptor") return k == StageKind::PageRef;
  return false;
}

}  // namespace

DiagramState build_diagram(const Run& run, const Summary& s, const StageTimeline& tl, const TextbookMethod* tb,
                           bool finished) {
  DiagramState d;
  d.method = tb;
  if (!tb || tb->rows.empty()) return d;
  const TextbookRow* row = s.row_id.empty() ? &tb->rows.front() : tb->find_row(s.row_id);
  d.row = row ? row : &tb->rows.front();
  const auto& arrows = d.row->arrows;
  const auto& steps = d.row->steps;

  const SinkPlaces sp = sink_places(run.params.sink, *tb);
  auto place = [&](const std::string& box_id) -> std::string {
    const DiagramBox* b = tb->find_box(box_id);
    const std::string p = b ? b->place() : box_id;
    if (p == "socket_buffer") return sp.buffer;
    if (p == "nic") return sp.device;
    return p;
  };
  if (run.params.sink != "tcp" && !run.params.sink.empty())
    for (const DiagramBox& b : tb->boxes) {
      if (b.place() == "socket_buffer") d.box_labels[b.id] = sp.buffer_label;
      if (b.place() == "nic") d.box_labels[b.id] = sp.device_label;
    }

  // Each arrow shows the stages of the same kind between the same places. An
  // arrow into the sink's device takes whatever left for it: the NIC may
  // gather straight from the page cache (the SG-DMA row).
  d.arrows.resize(arrows.size());
  for (size_t i = 0; i < arrows.size(); ++i) {
    const DiagramArrow& a = arrows[i];
    ArrowTrack& t = d.arrows[i];
    const std::string from = place(a.from), to = place(a.to);
    const bool into_device = to == sp.device && sp.device != "none";
    for (uint32_t k = 0; k < s.stages.size(); ++k) {
      const Stage& st = s.stages[k];
      if (!kind_matches(a.kind, st.kind) || st.to != to || (!into_device && st.from != from)) continue;
      t.stages.push_back(k);
      t.total += st.bytes;
      if (st.kind == StageKind::Handoff) t.software = true;
    }
    if (a.kind == "signal") t.counted = false;
  }

  // Tracks: the stage points, in time order, cumulated per arrow.
  std::vector<std::vector<size_t>> arrows_of_stage(s.stages.size());
  for (size_t i = 0; i < d.arrows.size(); ++i)
    for (uint32_t k : d.arrows[i].stages) arrows_of_stage[k].push_back(i);
  std::vector<uint64_t> carried(d.arrows.size(), 0);
  for (const StagePoint& p : tl.points) {
    if (p.stage >= arrows_of_stage.size()) continue;
    for (size_t i : arrows_of_stage[p.stage]) {
      ArrowTrack& t = d.arrows[i];
      carried[i] += p.bytes;
      t.ts.push_back(p.ts);
      t.cum.push_back(carried[i]);
    }
  }
  // A live run has no exact totals yet: what was placed so far stands in.
  for (size_t i = 0; i < d.arrows.size(); ++i)
    if (!finished) d.arrows[i].total = carried[i];

  // Which textbook stages did not happen, and why: the stage the run took instead.
  const std::string sigbus = s.extra.is_object() ? s.extra.value("outcome", std::string()) : std::string();
  uint64_t last_fault = 0;
  for (const Event& e : run.events)
    if (e.type == CS_EV_FAULT && e.role == CS_ROLE_SENDER) last_fault = std::max<uint64_t>(last_fault, e.ts);
  for (size_t i = 0; i < arrows.size(); ++i) {
    const DiagramArrow& a = arrows[i];
    ArrowTrack& t = d.arrows[i];
    if (a.kind == "signal") {
      t.happened = sigbus == "SIGBUS" || !finished;
      if (sigbus == "SIGBUS" && last_fault) {
        t.ts.push_back(last_fault);
        t.cum.push_back(0);
      }
      if (!t.happened) t.why = say("the scenario reported no signal");
      continue;
    }
    if (t.total > 0 || !finished) continue;
    t.happened = false;
    const std::string from = place(a.from), to = place(a.to);
    const Stage* instead = nullptr;
    for (const Stage& st : s.stages)
      if (st.from == from && st.to == to && !kind_matches(a.kind, st.kind)) instead = &st;
    if (instead) {
      t.why = instead->kind == StageKind::PageRef ? say("page references instead of a copy: %s", instead->rule)
                                                  : say("copied instead: %s", instead->rule);
    } else if (a.kind == "cpu" && s.counters.copies_measured) {
      t.why = say("measured at the copy routines: nothing was copied from %s to %s", both(place_name(from)),
                  both(place_name(to)));
    } else if (a.kind == "dma" && place(a.from) == "disk") {
      t.why = run.params.cache == "warm" ? say("the file was already in the page cache (warm cache): no disk read")
                                         : say("no block I/O was seen for the source file");
    } else if (to == "none" || to == "null_device") {
      t.why = say("the sink is %s: no device at the end", run.params.sink);
    } else if (to == "dest_disk") {
      t.why = say(
          "the destination file's dirty pages are written back after the transfer phase (the flusher threads), "
          "outside what was measured");
    } else {
      t.why = say("no stage of this run went from %s to %s", both(place_name(from)), both(place_name(to)));
    }
  }
  for (ArrowTrack& t : d.arrows)
    if (t.happened && t.software && t.why.empty())
      t.why = say("loopback has no network card: %s handed to the receiver in software, not DMA",
                  format_bytes(t.total));

  // Steps: several may share one call (its enter, its work, its exit), spread over the call.
  std::map<int, std::vector<int>> steps_by_sys;
  std::map<std::string, std::vector<int>> steps_by_event;
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepTrigger& tr = steps[i].trigger;
    if (tr.event == "syscall")
      steps_by_sys[syscall_from_name(tr.sys)].push_back(static_cast<int>(i));
    else
      steps_by_event[tr.event].push_back(static_cast<int>(i));
  }
  auto hit = [&](const char* name, uint64_t ts) {
    auto it = steps_by_event.find(name);
    if (it != steps_by_event.end())
      for (int k : it->second) d.step_hits.push_back({ts, k});
  };
  // The threads that moved the data (a JVM has many more).
  std::vector<uint32_t> transfer_tids;
  bool split = false;
  for (const ThreadUse& t : s.threads) {
    if (t.role == "transfer")
      transfer_tids.push_back(t.tid);
    else
      split = true;
  }
  split = split && !transfer_tids.empty();
  for (const Event& e : run.events) {
    const bool sender = e.role == CS_ROLE_SENDER;
    switch (e.type) {
      case CS_EV_SYSCALL: {
        if (!sender) break;
        if (!split || std::find(transfer_tids.begin(), transfer_tids.end(), e.tid) != transfer_tids.end()) {
          d.mode_switch_ts.push_back(e.ts);
          d.mode_switch_ts.push_back(e.ts + e.dur);
        }
        auto it = steps_by_sys.find(e.sys);
        if (it == steps_by_sys.end()) break;
        const size_t n = it->second.size();
        for (size_t j = 0; j < n; ++j)
          d.step_hits.push_back({n == 1 ? e.ts : e.ts + e.dur * j / (n - 1), it->second[j]});
        break;
      }
      case CS_EV_BLOCK:
        hit("block", e.ts);
        break;
      case CS_EV_FAULT:
        if (sender) hit("fault", e.ts);
        break;
      case CS_EV_SWITCH_OUT:
        if (sender) hit("switch", e.ts);
        break;
      case CS_EV_PAGE_CACHE_ADD:
        hit("page_cache_add", e.ts);
        break;
      case CS_EV_FORK:
        if (sender) hit("fork", e.ts);
        break;
      case CS_EV_PHASE:
        if (sender && !e.a) hit("phase_end", e.ts);
        break;
      default:
        break;
    }
  }
  // Transmits are counted in the kernel, not emitted: the network stages' points stand in.
  for (const StagePoint& p : tl.points)
    if (p.stage < s.stages.size() && (s.stages[p.stage].device == "lo" || s.stages[p.stage].device == "nic"))
      hit("net_xmit", p.ts);
  std::sort(d.mode_switch_ts.begin(), d.mode_switch_ts.end());
  std::stable_sort(d.step_hits.begin(), d.step_hits.end(),
                   [](const StepHit& x, const StepHit& y) { return x.ts < y.ts; });
  return d;
}

}  // namespace copyscope
