// The data behind the panels, without a display: arrows follow the measured
// copies, steps and mode switches line up, and the timeline's levels of detail
// keep the number of drawn shapes bounded by pixels, not events.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/synthetic.h"
#include "model/textbook.h"
#include "ui/ui_state.h"
#include "ui/run_view.h"

using namespace copyscope;
using namespace copyscope::ui;

namespace {

const TextbookMethod& method(const char* name) {
  const TextbookMethod* m = Textbook::builtin().find(name);
  if (!m) throw std::runtime_error(std::string("no textbook entry for ") + name);
  return *m;
}

// The view of a run as the GUI builds it: the model's summary, then the layout.
RunView view_of(copyscope::Run& run, const char* name, bool finished) {
  const TextbookMethod* tb = &method(name);
  const Summary s = finished ? summarize(run, tb) : summarize_live(run, tb);
  return build_view(run, s, tb, finished);
}

const DiagramArrow& arrow_of(const RunView& v, size_t i) { return v.diagram.row->arrows[i]; }

size_t drawn_cpu_arrows(const RunView& v) {
  size_t n = 0;
  for (size_t i = 0; i < v.diagram.arrows.size(); ++i)
    if (arrow_of(v, i).kind == "cpu" && v.diagram.arrows[i].happened) ++n;
  return n;
}

// sendfile of `chunks` x 64 KiB from a file to TCP on a 6.18 kernel.
Run sendfile_run(int chunks) {
  Run r;
  r.params = {"sendfile", uint64_t(chunks) * 65536, 65536, "cold", "tcp"};
  r.kernel.release = "6.18.0";
  uint64_t t = 1000;
  auto add = [&](uint8_t type, uint64_t ts, uint64_t dur) -> Event& {
    Event e{};
    e.type = type;
    e.ts = ts;
    e.dur = dur;
    e.tgid = e.tid = 10;
    r.events.push_back(e);
    return r.events.back();
  };
  add(CS_EV_PHASE, t, 0).a = 1;
  for (int i = 0; i < chunks; ++i) {
    Event& b = add(CS_EV_BLOCK, t + 10, 500);
    b.arg1 = 65536;
    Event& s = add(CS_EV_SYSCALL, t, 1000);
    s.sys = CS_SYS_SENDFILE;
    s.a = CS_FD_FILE;
    s.b = CS_FD_TCP;
    s.ret = 65536;
    Event& x = add(CS_EV_NET_XMIT, t + 900, 0);
    x.arg1 = 65536;
    x.a = 1;
    t += 2000;
  }
  add(CS_EV_PHASE, t, 0).a = 0;
  sort_events(r.events);
  const uint64_t bytes = uint64_t(chunks) * 65536;
  RoleCounters& c = r.counters[CS_ROLE_SENDER];
  c.dma_ops = static_cast<uint64_t>(chunks);
  c.dma_bytes = c.dma_read_bytes = bytes;
  c.loopback_xmit_bytes = bytes;
  c.syscall_enters = c.syscall_exits = c.sys_calls[CS_SYS_SENDFILE] = static_cast<uint64_t>(chunks);
  r.flows = {{Role::Sender, CS_SYS_SENDFILE, CS_FD_FILE, CS_FD_TCP, static_cast<uint64_t>(chunks), bytes}};
  r.result.ok = true;
  r.result.bytes = bytes;
  r.result.units = static_cast<uint64_t>(chunks);
  return r;
}

}  // namespace

TEST(RunView, ReadWriteDrawsBothCpuCopies) {
  copyscope::Run run = make_synthetic_run(20000);
  run.kernel.release = "6.18.0";
  RunView v = view_of(run, "read_write", true);
  EXPECT_EQ(drawn_cpu_arrows(v), 2u);
  // Each CPU arrow carried every payload byte once.
  for (size_t i = 0; i < v.diagram.arrows.size(); ++i)
    if (arrow_of(v, i).kind == "cpu") EXPECT_EQ(v.diagram.arrows[i].total, run.result.bytes);
  // Two crossings per sender syscall.
  EXPECT_EQ(v.diagram.mode_switch_ts.size(), 2 * (run.sender().syscall_enters));
  EXPECT_EQ(v.switches_at(v.t1), v.diagram.mode_switch_ts.size());
}

// Loopback does scatter-gather: sendfile is the articles' SG-DMA row, the
// socket gets page references, and the last stage is a software hand-off.
TEST(RunView, SendfileOnLoopbackIsTheScatterGatherRow) {
  copyscope::Run r = sendfile_run(50);
  RunView v = view_of(r, "sendfile", true);
  EXPECT_EQ(v.diagram.row->id, "sg_gather");
  EXPECT_EQ(drawn_cpu_arrows(v), 0u);
  bool refs = false;
  for (size_t i = 0; i < v.diagram.arrows.size(); ++i)
    if (arrow_of(v, i).kind == "descriptor" || arrow_of(v, i).kind == "share") {
      EXPECT_TRUE(v.diagram.arrows[i].happened);
      EXPECT_EQ(v.diagram.arrows[i].total, 50u * 65536);
      refs = true;
    }
  EXPECT_TRUE(refs);
  const ArrowTrack& nic = v.diagram.arrows.back();
  EXPECT_TRUE(nic.software);
  EXPECT_NE(nic.why.en.find("loopback"), std::string::npos);
}

// A device without scatter-gather: the 1-copy row, and the CPU copy happened.
TEST(RunView, SendfileWithoutScatterGatherCopiesOnce) {
  copyscope::Run r = sendfile_run(20);
  r.kernel.nic_sg = 0;
  RunView v = view_of(r, "sendfile", true);
  EXPECT_EQ(v.diagram.row->id, "cpu_copy");
  EXPECT_EQ(drawn_cpu_arrows(v), 1u);
  for (size_t i = 0; i < v.diagram.arrows.size(); ++i)
    if (arrow_of(v, i).kind == "cpu") EXPECT_EQ(v.diagram.arrows[i].total, 20u * 65536);
}

// Measured copies (issue 8): the CPU arrows carry what the copy sites measured,
// spread over the calls' times, not what attribution says.
TEST(RunView, MeasuredCopiesFeedTheCpuArrows) {
  copyscope::Run run = make_synthetic_run(20000);
  run.kernel.release = "6.1.0";
  run.kernel.copy_accounting = "measured";
  uint64_t read_bytes = 0;
  for (const Event& e : run.events)
    if (e.type == CS_EV_SYSCALL && e.sys == CS_SYS_READ && e.role == CS_ROLE_SENDER && e.ret > 0)
      read_bytes += static_cast<uint64_t>(e.ret);
  ASSERT_GT(read_bytes, 0u);
  // Half of what read() returned was copied (as if the rest came another way);
  // write() copied nothing measured.
  run.measured_copies = {
      {Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, CS_COPY_TO_USER, CS_CR_FILEMAP_READ, 10, read_bytes / 2}};
  RunView v = view_of(run, "read_write", true);
  bool saw_read = false, saw_write = false;
  for (size_t i = 0; i < v.diagram.arrows.size(); ++i) {
    if (arrow_of(v, i).kind != "cpu") continue;
    const DiagramArrow& a = arrow_of(v, i);
    const bool read = a.from == "page_cache" || a.to == "user_buffer";
    if (read) {
      saw_read = true;
      EXPECT_EQ(v.diagram.arrows[i].total, read_bytes / 2);
      EXPECT_TRUE(v.diagram.arrows[i].happened);
    } else {
      saw_write = true;
      EXPECT_EQ(v.diagram.arrows[i].total, 0u);
      EXPECT_FALSE(v.diagram.arrows[i].happened);
      EXPECT_NE(v.diagram.arrows[i].why.en.find("measured"), std::string::npos) << v.diagram.arrows[i].why.en;
    }
  }
  EXPECT_TRUE(saw_read);
  EXPECT_TRUE(saw_write);
  // During a live run, before the measured totals are read, attribution stands in.
  copyscope::Run live = run;
  live.measured_copies.clear();
  RunView lv = view_of(live, "read_write", false);
  EXPECT_EQ(drawn_cpu_arrows(lv), 2u);
}

TEST(RunView, SendfileOnAnOlderKernelStillCopiesNothing) {
  copyscope::Run r = sendfile_run(10);
  r.kernel.release = "5.10.0";  // before MSG_SPLICE_PAGES: tcp_sendpage hands pages over (still no copy)
  RunView v = view_of(r, "sendfile", true);
  EXPECT_EQ(drawn_cpu_arrows(v), 0u);
}

TEST(RunView, StepsFollowTheCursor) {
  copyscope::Run r = sendfile_run(3);
  RunView v = view_of(r, "sendfile", true);
  ASSERT_FALSE(v.diagram.step_hits.empty());
  EXPECT_EQ(v.step_at(v.t0 - 1), -1);
  // Stepping from the start visits the steps in time order.
  uint64_t t = v.t0 - 1;
  std::vector<int> seen;
  for (int i = 0; i < 6; ++i) {
    uint64_t n = v.next_step_time(t);
    if (n == t) break;
    t = n;
    seen.push_back(v.diagram.row->steps[v.step_at(t)].n);
  }
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), 1);  // sendfile() entered first
}

TEST(RunView, CountersGrowWithTheCursor) {
  copyscope::Run r = sendfile_run(10);
  RunView v = view_of(r, "sendfile", true);
  const ArrowTrack& disk = v.diagram.arrows.front();
  EXPECT_EQ(disk.at(v.t0), 0u);
  const uint64_t mid = disk.at(v.t0 + (v.t1 - v.t0) / 2);
  EXPECT_GT(mid, 0u);
  EXPECT_LT(mid, disk.total);
  EXPECT_EQ(disk.at(v.t1), 10u * 65536);
}

TEST(RunView, AMillionEventsStayWithinPixelBudget) {
  copyscope::Run run = make_synthetic_run(1'000'000);
  ASSERT_GE(run.events.size(), 990'000u);
  RunView v = view_of(run, "read_write", true);
  ASSERT_GE(v.lanes.size(), 3u);  // sender, sink, disk
  const double width_px = 1500;
  const double ns_per_px = static_cast<double>(v.t1 - v.t0) / width_px;
  size_t raw = 0, drawn = 0;
  for (const Lane& l : v.lanes)
    for (const SpanLevels* s : {&l.syscalls, &l.offcpu, &l.ticks}) {
      if (s->levels.empty()) continue;
      raw += s->levels[0].size();
      size_t level = 0;
      const auto& spans = s->pick(ns_per_px, &level);
      drawn += spans.size() - s->first_visible(level, v.t0);
      // Merged spans keep every event accounted for.
      uint64_t count = 0;
      for (const Span& sp : spans) count += sp.count;
      EXPECT_EQ(count, s->levels[0].size());
    }
  EXPECT_GT(raw, 500'000u);
  // Zoomed out, at most a few shapes per pixel per row, whatever the event count.
  EXPECT_LE(drawn, static_cast<size_t>(width_px) * 3 * v.lanes.size());
  // Zoomed in to 1 us per pixel, every span is an event of its own.
  const Lane& sender = v.lanes.front();
  size_t level = 99;
  sender.syscalls.pick(1.0, &level);
  EXPECT_EQ(level, 0u);
}

TEST(RunView, TransmitsCountedInTheKernelFeedTheNicArrow) {
  // Kernels' transmit events are no longer emitted one by one: the last stage
  // follows the sender's calls towards the socket, scaled to the exact counter.
  copyscope::Run r = sendfile_run(8);
  std::erase_if(r.events, [](const Event& e) { return e.type == CS_EV_NET_XMIT; });
  r.counters[CS_ROLE_SENDER].loopback_xmit_bytes = 8 * 65536 + 8 * 66;  // payload plus headers
  RunView v = view_of(r, "sendfile", true);
  const ArrowTrack& nic = v.diagram.arrows.back();
  EXPECT_TRUE(nic.happened);
  EXPECT_TRUE(nic.software);
  EXPECT_NEAR(static_cast<double>(nic.total), 8.0 * 65536 + 8 * 66, 8.0);
  EXPECT_GT(nic.at(v.t0 + (v.t1 - v.t0) / 2), 0u);
  EXPECT_LT(nic.at(v.t0 + (v.t1 - v.t0) / 2), nic.total);
}

// Every coarser level merges neighbours only: each merged span covers the next
// `count` raw spans, from the first start to the last end, with their summed
// and longest durations, coloured like its longest one. The visible-range
// search never skips a span that reaches into view.
TEST(RunView, LevelsOfDetailKeepCountsAndExtremes) {
  copyscope::Run run = make_synthetic_run(200'000);
  RunView v = view_of(run, "read_write", true);
  size_t checked_levels = 0;
  for (const Lane& l : v.lanes)
    for (const SpanLevels* s : {&l.syscalls, &l.offcpu, &l.ticks}) {
      if (s->levels.empty()) continue;
      const auto& raw = s->levels[0];
      for (size_t lv = 1; lv < s->levels.size(); ++lv) {
        ++checked_levels;
        size_t next = 0;
        for (const Span& m : s->levels[lv]) {
          ASSERT_LE(next + m.count, raw.size());
          uint64_t t1 = 0, busy = 0, longest = 0;
          bool key_found = false;
          for (size_t i = next; i < next + m.count; ++i) {
            t1 = std::max(t1, raw[i].t1);
            busy += raw[i].t1 - raw[i].t0;
            longest = std::max(longest, raw[i].t1 - raw[i].t0);
          }
          for (size_t i = next; i < next + m.count; ++i)
            if (raw[i].t1 - raw[i].t0 == longest && raw[i].key == m.key) key_found = true;
          EXPECT_EQ(m.t0, raw[next].t0);
          EXPECT_EQ(m.t1, t1);
          EXPECT_EQ(m.busy, busy);
          EXPECT_EQ(m.longest, longest);
          EXPECT_TRUE(key_found);
          next += m.count;
        }
        EXPECT_EQ(next, raw.size());
      }
      for (size_t lv = 0; lv < s->levels.size(); ++lv) {
        const auto& spans = s->levels[lv];
        for (uint64_t t : {v.t0, v.t0 + (v.t1 - v.t0) / 3, v.t1 - 1000, v.t1 + 1}) {
          const size_t first = s->first_visible(lv, t);
          for (size_t i = 0; i < first && i < spans.size(); ++i) ASSERT_LT(spans[i].t1, t);
        }
      }
    }
  EXPECT_GT(checked_levels, 3u);
}

// The text size follows the window and the monitor (ui_state.h font_px).
TEST(FontSize, ClassroomTextGrowsWithTheScreenAndStillFits) {
  using copyscope::ui::font_px;
  EXPECT_EQ(font_px(false, 1600, 900, 1.0f), 18.0f);
  EXPECT_EQ(font_px(true, 1600, 900, 1.0f), 26.0f);
  EXPECT_EQ(font_px(true, 1280, 720, 1.0f), 21.0f) << "a 720p projector: smaller than at 900p, so it fits";
  EXPECT_GT(font_px(true, 1920, 1080, 1.0f), 30.0f);
  EXPECT_EQ(font_px(false, 1920, 1080, 2.0f), 36.0f) << "HiDPI: twice the text";
  EXPECT_GE(font_px(true, 640, 480, 1.0f), 18.0f) << "classroom is never smaller than normal";
  EXPECT_EQ(font_px(false, 1600, 900, 0.0f), 18.0f) << "no scale reported: 1";
}
