// What each event of a run means for the data path, decided once: the stages
// the bytes went through (disk -> page cache by DMA, page cache -> user buffer
// by a CPU copy, ...), with their totals and when they moved. Every view and
// exporter reads these; none classifies an event itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/i18n.h"

#include "model/run.h"

namespace copyscope {

enum class StageKind : uint8_t { CpuCopy, Dma, PageRef, Handoff };
const char* stage_kind_name(StageKind kind);  // cpu_copy | dma | page_ref | handoff

// Which events carry a stage's bytes through time.
enum class StageDriver : uint8_t {
  DiskRead,    // block requests reading (a == 0)
  DiskWrite,   // block requests writing
  Syscalls,    // the sender's syscalls of one (sys, src, dst)
  UringEnter,  // io_uring requests: their completions are counted, not emitted; the submitting calls stand in
  CowFault,    // write faults on present pages (copy-on-write)
  MapFault,    // faults after a file was mapped
  SinkSends,   // the calls that handed data to the sink socket (transmits are counted, not emitted)
};

// Bytes that went from one place to another by one means, for one reason.
// Places are the canonical ones of the textbook model, assets/methods/ (a box's `is`):
// disk, page_cache, user_buffer, pipe, dest_pipe, socket_buffer, nic,
// dest_page_cache, dest_disk, shared_page, child_page.
// Per kind the stages add up to the run's counters: cpu_copy to cpu_copy_bytes,
// dma to dma_bytes, handoff to loopback_handoff_bytes.
struct Stage {
  StageKind kind = StageKind::CpuCopy;
  std::string from, to;
  uint64_t bytes = 0;
  Text rule;               // why the bytes moved this way (en goes to the JSON)
  std::string accounting;  // measured (counted in the kernel) | attributed (from a rule) | live (the run is not over)
  std::string device;      // block | lo | nic; empty for memory stages
  // Where its timing comes from (not exported).
  StageDriver driver = StageDriver::Syscalls;
  uint8_t sys = 0, src = 0, dst = 0;
  std::string dma_driver = {};  // a DMA stage's device driver (nvme, e1000) when the dma:* tracepoints saw it map
};

// One event's share of one stage.
struct StagePoint {
  uint64_t ts;
  uint64_t bytes;
  uint32_t event;  // index into Run::events
  uint32_t stage;  // index into the stages
};

// The stages over time. For each stage, its points add up to its bytes exactly
// (a stage whose events were not captured gets one point at the phase end).
struct StageTimeline {
  std::vector<StagePoint> points;  // sorted by ts
  // Payload the sender handed to the sink (socket, file, pipe, /dev/null), by time.
  std::vector<std::pair<uint64_t, uint64_t>> delivered;
  uint64_t phase_begin = 0, phase_end = 0;
};

struct Summary;
// The stages of a summarized run (summarize() calls it; Summary::stages).
// `tally` is tally_events(run).
std::vector<Stage> build_stages(const Run& run, const Summary& s, const EventTally& tally);

// `stages` as computed by summarize(); `events` sorted by ts.
StageTimeline place_stages(const Run& run, const std::vector<Stage>& stages);

// Canonical places of an fd kind, as a source and as a destination of `sys`.
std::string place_of_source(uint8_t fd_kind);
std::string place_of_destination(uint8_t fd_kind, uint8_t src_kind);

// A Run whose flows and counters are worked out from the events of `live`
// alone (its events are not copied): what a live run shows before the kernel's
// exact counters are read at its end.
Run facts_from_events(const Run& live);

// The fd kind a scenario's sink is (tcp, file, pipe, null), CS_FD_NONE if unknown.
uint8_t sink_fd_kind(const std::string& sink);

// A user-mode write fault on a present page: a write to a page shared after fork.
bool is_cow_fault(const Event& e);

// A TCP or other socket, as an fd kind.
bool is_socket(uint8_t fd_kind);
// Whether a syscall's return value is bytes moved, as the kernel side counts
// flows (bpf: moves_data()).
bool moves_data(unsigned sys);

}  // namespace copyscope
