// Pure analysis over a Run: no I/O, no globals, testable on synthetic runs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/flows.h"
#include "model/run.h"
#include "model/stages.h"
#include "model/textbook.h"

namespace copyscope {

// How many times the CPU copies each byte of one flow, and why.
struct CopyRule {
  double copies_per_byte = 0;
  std::string why;  // a catalogue msgid (both(why) for the Chinese)
  bool known = true;
  bool shares_extents = false;  // reflink: the destination shares the source's disk blocks
};

struct KernelVersion {
  int major = 0, minor = 0;
  static KernelVersion parse(const std::string& release);
  bool at_least(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};

// `nic_sg`: the sending network device does scatter-gather, so TCP can send
// page-cache pages by reference (sendfile, splice).
CopyRule copy_rule(const Flow& flow, const KernelVersion& kv, bool nic_sg = true);
// The same, corrected by what the scenario itself observed (its `extra`): e.g.
// zero-copy completions that say the kernel copied after all.
CopyRule copy_rule(const Flow& flow, const KernelVersion& kv, const nlohmann::json& scenario_facts, bool nic_sg = true);
// The scenario found that its filesystem shares extents (copy_file_range's FICLONE probe).
bool reflink_supported(const nlohmann::json& scenario_facts);
// "read", ..., or "io_uring:read" for the non-syscall flows (CS_FLOW_URING_*),
// "cow_fault" for copy-on-write faults.
std::string flow_name(uint8_t sys);
// Pseudo flow for copy-on-write page copies (attributed from write faults).
constexpr uint8_t kFlowCowFault = 200;

struct CopyAttribution {
  Flow flow;
  CopyRule rule;
  uint64_t copy_bytes = 0;
};

struct Deviation {
  std::string what;
  nlohmann::json textbook;
  nlohmann::json measured;
  Text why;  // en goes to the JSON
  nlohmann::json attributed = nullptr;  // measured copies only: what attribution would have said (else null)
};
// A deviation's `what` as words, a catalogue msgid ("context_switches" ->
// "context switches"); a `what` not named here comes back as it is.
const char* quantity_name(const std::string& what);

// A thread of the sender and what it did during the phase (from its events).
struct ThreadUse {
  uint32_t tid = 0, tgid = 0;
  std::string name;
  std::string role;           // transfer | garbage collector | JIT compiler | JVM thread | helper process | ...
  uint64_t syscalls = 0;      // traced (decoded) syscalls it made
  uint64_t method_calls = 0;  // of those, the method's own calls (textbook `calls`)
  uint64_t bytes = 0;         // moved by the method's calls
};

struct PerUnit {
  double mode_switches = 0, cpu_copies = 0, dma_copies = 0, context_switches = 0;
};

struct Counts {
  std::map<std::string, uint64_t> syscalls;
  uint64_t mode_switches = 0;
  uint64_t context_switches = 0;
  uint64_t context_switches_involuntary = 0;
  bool copies_measured = false;  // cpu_copies / cpu_copy_bytes come from the copy routines
  uint64_t cpu_copies = 0;       // measured: outermost copy-routine calls; attributed: copying syscalls
  uint64_t cpu_copy_bytes = 0;
  uint64_t attributed_cpu_copies = 0;  // what attribution says, whichever accounting is in use
  uint64_t attributed_cpu_copy_bytes = 0;
  uint64_t copy_to_user_bytes = 0;  // measured only, by direction
  uint64_t copy_from_user_bytes = 0;
  uint64_t copy_kernel_bytes = 0;
  uint64_t dma_ops = 0;
  uint64_t dma_bytes = 0;  // disk DMA + real-NIC transmit
  uint64_t disk_dma_bytes = 0;
  uint64_t nic_dma_bytes = 0;
  uint64_t loopback_bytes = 0;  // software hand-off on lo, not DMA
  uint64_t page_faults = 0;
  uint64_t cow_faults = 0;       // user write faults on present pages (copy-on-write), from events
  uint64_t page_cache_adds = 0;  // 4 KiB pages inserted
  uint64_t events_captured = 0;
  uint64_t events_dropped = 0;
};

struct Summary {
  RunParams params;
  KernelInfo kernel;
  uint64_t duration_ns = 0;
  uint64_t bytes = 0;
  uint64_t units = 0;
  double throughput_mib_s = 0;
  Counts counters;
  Counts receiver;       // the process that drains a tcp or pipe sink
  PerUnit per_call;      // exact ratios; the JSON also gives them rounded
  Expectation textbook;  // of the chosen row
  std::string row_id;    // the textbook row the run is compared with
  Text row_title, row_note;
  std::vector<std::string> other_rows;        // the method's rows not chosen
  bool nic_sg = true;                         // the fact the row was picked by
  std::string nic_sg_source;                  // how it is known
  std::vector<Stage> stages;                  // the data path, decided once (model/stages.h)
  std::vector<ThreadUse> threads;             // the sender's threads that made syscalls
  std::vector<CopyAttribution> copies;        // attribution, per flow (always computed)
  std::vector<MeasuredCopy> measured_copies;  // the sender's, when measured
  std::vector<Deviation> deviations;
  std::vector<Text> notes;  // en goes to the JSON
  bool partial = false;
  // The event log: events kept, those folded into Run::thinned past the
  // memory budget, and the stride (1: every event kept).
  std::vector<DmaMapping> dma_mappings;  // Run::dma_mappings: measured DMA per driver
  std::string where = "host";            // Run::where
  uint64_t events_kept = 0;
  uint64_t events_thinned = 0;
  uint32_t event_stride = 1;
  nlohmann::json sink_report;
  nlohmann::json extra;
  std::vector<DataFlow> flows;  // a traced program's (copyscope trace), classified by method
};

// Copies are measured when the kernel's copy routines were hooked
// (kernel.copy_accounting == "measured"); attribution is computed either way.
// `tally` is tally_events(run).
Counts count_role(const Run& run, Role role, const KernelVersion& kv, const EventTally& tally,
                  std::vector<CopyAttribution>* copies = nullptr, bool nic_sg = true);
bool copies_measured(const Run& run);
Summary summarize(const Run& run, const TextbookMethod* textbook);
// A run still being captured: its counters are not read yet, so they are
// worked out from its events (Stage::accounting "live"). `run` is left as it was.
Summary summarize_live(Run& run, const TextbookMethod* textbook);
nlohmann::json to_json(const Summary& s);
// flows[] of a traced program, as `trace --json` prints them.
nlohmann::json flows_json(const std::vector<DataFlow>& flows);

}  // namespace copyscope
