// The model: one traced run of a scenario. Plain data, no UI, no libbpf.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

extern "C" {
#include "copyscope.h"
}

#include "model/bulk_allocator.h"

namespace copyscope {

using Event = cs_event;                                     // 56 bytes, kept exactly as the kernel wrote it
using EventLog = std::vector<Event, BulkAllocator<Event>>;  // a run's events: large, grown while capturing

// Appends n events copied from src. The log grows without being zeroed first
// (BulkAllocator::construct), so each of its bytes is written once.
inline void append_events(EventLog& log, const Event* src, size_t n) {
  const size_t at = log.size();
  log.resize(at + n);
  if (n) std::memcpy(log.data() + at, src, n * sizeof(Event));
}

enum class Role : uint8_t { Sender = CS_ROLE_SENDER, Receiver = CS_ROLE_RECEIVER };

const char* syscall_name(unsigned sys);          // "read", "sendfile", ... ("other")
int syscall_from_name(const std::string& name);  // -1 when unknown
const char* fd_kind_name(unsigned kind);         // "file", "tcp", "pipe", ...
const char* event_type_name(unsigned type);
const char* copy_dir_name(unsigned dir);  // "to_user", "from_user", "kernel"
int copy_dir_from_name(const std::string& name);
const char* copy_routine_name(unsigned routine);  // "_copy_to_iter", ... (enum cs_copy_routine)
int copy_routine_from_name(const std::string& name);

struct RunParams {
  std::string method;
  uint64_t size = 0;
  uint64_t buffer = 0;
  std::string cache = "cold";  // cold | warm
  std::string sink = "tcp";    // tcp | file | pipe | null
};

// One probe and how it fared on this kernel.
struct Hook {
  std::string name;    // e.g. "tracepoint/raw_syscalls/sys_enter", "fentry/_copy_to_user"
  std::string status;  // attached | unavailable | refused | not-built
  std::string detail;
};

struct KernelInfo {
  std::string release;
  std::string copy_accounting = "attributed";  // measured | attributed
  std::string copy_accounting_why;             // which copy routines were hooked, or why not
  std::vector<Hook> hooks;
  // The network device a TCP sink's data leaves through and whether it does
  // scatter-gather (it then sends page-cache pages by reference).
  std::string net_device;  // "lo" on this host; empty when not recorded
  int nic_sg = -1;         // 1 yes, 0 no, -1 not recorded
  // "measured": devices mapped memory through the DMA API during the phase
  // and the dma:* tracepoints saw it (Run::dma_mappings); "block-layer": the
  // disk's DMA is inferred from its block requests, the NIC's from transmits.
  std::string dma_accounting = "block-layer";
  std::string dma_accounting_why;
};

// Memory a device driver mapped for DMA while the sender's phase was open
// (the dma:* tracepoints, bpf/dma.bpf.h).
struct DmaMapping {
  std::string driver;        // "nvme", "e1000", ... (printable, at most 15 bytes)
  std::string device;        // "disk", "nic" or "other", from the driver's name
  std::string direction;     // "to_device", "from_device" or "bidirectional"
  bool ours = false;         // mapped while a tracked task of the run was on the CPU
  uint64_t maps = 0;
  uint64_t bytes = 0;
  bool operator==(const DmaMapping&) const = default;
};

// What kind of device a driver drives, for the drivers copyscope knows.
std::string dma_device_kind(const std::string& driver);

// Exact counters of one role (sender or sink), summed over CPUs.
struct RoleCounters {
  uint64_t syscall_enters = 0;
  uint64_t syscall_exits = 0;
  uint64_t ctx_switches = 0;
  uint64_t ctx_switches_involuntary = 0;
  uint64_t page_faults_user = 0;
  uint64_t page_faults_kernel = 0;
  uint64_t page_cache_adds = 0;
  uint64_t page_cache_add_pages = 0;
  uint64_t dma_ops = 0;
  uint64_t dma_bytes = 0;
  uint64_t dma_read_bytes = 0;
  uint64_t dma_write_bytes = 0;
  uint64_t net_xmit_packets = 0;
  uint64_t net_xmit_bytes = 0;
  uint64_t loopback_xmit_bytes = 0;
  uint64_t events_captured = 0;
  uint64_t events_dropped = 0;
  // Measured at the copy routines; 0 when they are not hooked.
  uint64_t copy_calls = 0;
  uint64_t copy_to_user_bytes = 0;
  uint64_t copy_from_user_bytes = 0;
  uint64_t copy_kernel_bytes = 0;
  std::array<uint64_t, CS_SYS_MAX> sys_calls{};
  std::array<uint64_t, CS_SYS_MAX> sys_errors{};

  RoleCounters& operator+=(const cs_counters& c);
  bool operator==(const RoleCounters&) const = default;
};

// Bytes one kind of syscall moved from one endpoint kind to another.
struct Flow {
  Role role = Role::Sender;
  uint8_t sys = CS_SYS_OTHER;
  uint8_t src = CS_FD_NONE;
  uint8_t dst = CS_FD_NONE;
  uint64_t calls = 0;
  uint64_t bytes = 0;
  bool operator==(const Flow&) const = default;
};

// One sender thread's calls of one syscall.
struct ThreadCalls {
  uint32_t tid = 0;
  uint32_t tgid = 0;
  uint16_t sys = 0;
  uint64_t calls = 0;
  uint64_t ok_calls = 0;   // those that returned > 0
  uint64_t ok_bytes = 0;   // what they returned
  uint64_t file_maps = 0;  // mmap of a file (ok)
  bool operator==(const ThreadCalls&) const = default;
};

// What the analysis works out from the events, as a fold over them. A run
// whose log keeps only some of its events (a memory budget, Run::thinned)
// keeps this fold of the others, so that what is counted stays exact.
struct EventTally {
  explicit EventTally(bool tcp_sink = true) : tcp_sink(tcp_sink) {}
  bool tcp_sink;        // the sink is TCP: socket writes are the loopback hand-off
  uint64_t events = 0;  // events folded in
  // The sender's counts and data-moving calls as the kernel counts them: what
  // a live run shows before the exact counters are read at its end.
  RoleCounters sender;
  std::map<std::tuple<uint8_t, uint8_t, uint8_t>, Flow> flows;  // by (sys, src, dst)
  std::array<uint64_t, CS_ROLE_MAX> cow_faults{};               // write faults on pages shared after fork
  uint64_t file_maps = 0;                                       // the sender's mmap calls of a file
  uint64_t mapped_bytes = 0;                                    // and the bytes they mapped
  std::unordered_map<uint64_t, ThreadCalls> threads;            // by tid << 16 | sys, the sender's

  void add(const Event& e);
  EventTally& operator+=(const EventTally& other);
};

// Bytes the CPU copied, measured at the outermost hooked copy routine, by the
// syscall in flight (sys/src/dst as in Flow; CS_SYS_OTHER when none was).
struct MeasuredCopy {
  Role role = Role::Sender;
  uint8_t sys = CS_SYS_OTHER;
  uint8_t src = CS_FD_NONE;
  uint8_t dst = CS_FD_NONE;
  uint8_t dir = CS_COPY_KERNEL;  // enum cs_copy_dir
  uint8_t routine = 0;           // enum cs_copy_routine
  uint64_t calls = 0;
  uint64_t bytes = 0;
  bool operator==(const MeasuredCopy&) const = default;
};

// What the scenario program itself reports about its transfer phase.
struct ScenarioResult {
  bool ok = false;
  std::string error;
  uint64_t bytes = 0;                 // payload bytes the sender moved
  uint64_t units = 0;                 // transfer iterations (chunks, or calls)
  uint64_t duration_ns = 0;           // between its phase markers
  uint64_t cache_resident_pages = 0;  // of the source file, right before the run
  uint64_t file_pages = 0;
  uint64_t cpu_ns = 0;          // user + system CPU of the scenario's processes, setup included
  uint64_t capture_cpu_ns = 0;  // copyscope's own CPU meanwhile (capture and store threads); 0 untraced
  nlohmann::json sink;          // the receiver's own account
  nlohmann::json extra;         // method-specific facts (e.g. a SIGBUS)
};

// What a traced program's descriptor was from time `ts` on (its first event
// seen with this target): a path, a pipe, or a socket's addresses. Read from
// /proc by the capture, printable and bounded; the traced program chooses
// these names, so they are shown and never used to build a path.
struct FdName {
  uint32_t tgid = 0;
  int32_t fd = -1;
  uint64_t ts = 0;
  std::string name;
  bool operator==(const FdName&) const = default;
};

// The method name of a run of any program (copyscope trace), not a scenario.
inline constexpr const char* kTraceMethod = "trace";
inline constexpr const char* kTraceSink = "program";
inline constexpr size_t kMaxFdNames = 65536;
inline constexpr size_t kMaxFdNameBytes = 256;

// `raw` made printable (other bytes as \xNN) and at most kMaxFdNameBytes long.
std::string printable_fd_name(const std::string& raw);

struct Run {
  RunParams params;
  KernelInfo kernel;
  ScenarioResult result;
  std::array<RoleCounters, CS_ROLE_MAX> counters{};
  std::vector<Flow> flows;
  std::vector<MeasuredCopy> measured_copies;     // empty unless kernel.copy_accounting is "measured"
  std::vector<DmaMapping> dma_mappings;          // empty unless kernel.dma_accounting is "measured"
  EventLog events;                               // ordered as received; sort_events() orders by ts
  // The log's level of detail: 1 keeps every event; k > 1 keeps those that
  // start in one kEventWindowNs window in k (kept_at_stride), a memory budget
  // (kDefaultMaxEvents). The rest are folded into `thinned`; counters, flows
  // and the facts of EventTally stay exact.
  uint32_t event_stride = 1;
  EventTally thinned;
  std::map<uint32_t, std::string> thread_names;  // tid -> name
  std::vector<FdName> fd_names;                  // traced programs only, ordered by ts
  bool partial = false;
  std::string where = "host";  // "host", or "vm:NAME" for a run in the lab VM (copyscope-vm)

  const RoleCounters& sender() const { return counters[CS_ROLE_SENDER]; }
  const RoleCounters& receiver() const { return counters[CS_ROLE_RECEIVER]; }
};

void sort_events(EventLog& events);

// The memory budget of a run's event log: past it the log keeps fewer events
// (Run::event_stride). 4 Mi events is 224 MiB of log.
inline constexpr size_t kDefaultMaxEvents = size_t{1} << 22;
// The largest budget, and the most events a trace may hold to be opened
// again: 16 Mi events is 896 MiB.
inline constexpr size_t kMaxLoggedEvents = size_t{1} << 24;
inline constexpr uint64_t kEventWindowNs = 1'000'000;  // 1 ms
inline constexpr uint32_t kMaxEventStride = uint32_t{1} << 20;

// Whether a log with stride `stride` keeps e: phase markers, forks and exits
// always; the others by the window their start falls in. The windows a
// stride keeps are among those of every smaller power of two.
inline bool kept_at_stride(const Event& e, uint32_t stride) {
  if (stride <= 1 || e.type == CS_EV_PHASE || e.type == CS_EV_FORK || e.type == CS_EV_EXIT) return true;
  return (e.ts / kEventWindowNs) % stride == 0;
}

// Removes from `log` the events `stride` does not keep, folding them into `thinned`.
void thin_events(EventLog& log, uint32_t stride, EventTally& thinned);

// Doubles run.event_stride, thinning the log, until it holds at most
// `budget` events. Returns whether it thinned.
bool thin_to_budget(Run& run, size_t budget);

// The fold of every event of the run: run.thinned plus the events kept.
EventTally tally_events(const Run& run);

}  // namespace copyscope
