// What the panels draw, derived once from a Run (and again while a live run
// grows): no ImGui here, so tests can check it without a display.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "model/diagram.h"
#include "model/run.h"
#include "model/textbook.h"

namespace copyscope::ui {

// Per-bin totals over the transfer phase, for the live plots.
struct Bins {
  uint64_t t0 = 0, width = 1;
  std::vector<double> cpu_bytes, dma_bytes, payload_bytes, mode_switches, ctx_switches, faults;
  size_t size() const { return cpu_bytes.size(); }
};

// Timeline: spans per lane with precomputed levels of detail.
struct Span {
  uint64_t t0, t1;
  uint32_t event;        // index into Run::events (the first one when merged)
  uint32_t count;        // > 1: several events merged into one drawn span
  uint16_t key;          // syscall number or SpanKind; merged: the key of the longest one inside
  uint64_t busy = 0;     // summed durations inside (merged spans are drawn fainter when sparse)
  uint64_t longest = 0;  // duration of the longest one inside
};
constexpr uint16_t kMixed = 0xffff;
enum SpanKind : uint16_t { kOffCpu = 1000, kBlockRead, kBlockWrite, kFault, kNetXmit };

struct SpanLevels {
  std::vector<std::vector<Span>> levels;       // 0 = every event
  std::vector<uint64_t> gap;                   // merge threshold of each level, ns
  std::vector<std::vector<uint64_t>> max_end;  // running max of t1, for the visible-range search
  void build(std::vector<Span> raw);
  // The coarsest level whose merged gaps are below one pixel.
  const std::vector<Span>& pick(double ns_per_px, size_t* level = nullptr) const;
  // First span that may reach into [t, ...).
  size_t first_visible(size_t level, uint64_t t) const;
};

// A lane is a thread of ours, the kernel's interrupt context (softirq, IRQ:
// events with tid 0) or the disk's requests.
enum class LaneKind : uint8_t { Thread, Interrupt, Disk };

struct Lane {
  std::string name;    // English: "sender java 1234", "disk (block I/O)"
  std::string thread;  // the thread's name (comm), empty for the disk and interrupt lanes
  std::string thread_role;  // ThreadUse::role, a catalogue msgid ("garbage collector"); "" when unknown
  LaneKind kind = LaneKind::Thread;
  uint32_t tid = 0;
  uint8_t role = CS_ROLE_SENDER;
  SpanLevels syscalls, offcpu, ticks;
};

struct RunView {
  uint64_t t0 = 0, t1 = 1;  // transfer phase (or first..last event)
  bool phase_marked = false;  // t0 and t1 are the sender's phase markers (else the events' extent)
  const TextbookMethod* textbook = nullptr;
  DiagramState diagram;  // the model's answer for the data path (model/diagram.h)
  Bins bins;
  std::vector<Lane> lanes;
  size_t event_count = 0;
  // Events the kernel's full ring buffer refused (sender and receiver): the
  // timeline misses them while the counters stay exact, and says so.
  uint64_t events_dropped = 0;
  uint32_t event_stride = 1;  // Run::event_stride: the log keeps 1 ms windows 1 in this many

  int step_at(uint64_t t) const { return diagram.step_at(t); }
  size_t switches_at(uint64_t t) const { return diagram.switches_at(t); }
  uint64_t next_step_time(uint64_t t) const { return diagram.next_step_time(t); }
};

// Reads what the model decided (s.stages, placed in time) and lays it out for
// the panels. `finished`: the run is over, so a stage with no bytes did not happen.
RunView build_view(const Run& run, const Summary& s, const TextbookMethod* tb, bool finished, size_t bins = 120);

}  // namespace copyscope::ui
