// Data flows of a traced program (copyscope trace): its data-moving calls
// grouped by where the data came from and where it went, each classified by
// the textbook method it uses. Pure: a function of the run's events, its fd
// names and its counters; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/run.h"
#include "model/textbook.h"

namespace copyscope {

// One end of a flow: a kind of descriptor (fd_kind_name: file, tcp, pipe...,
// "user" for the program's own memory) and what it was (a path, addresses,
// "pipe:[...]"), or "fd N of pid P" when the capture could not read it.
struct FlowEndpoint {
  uint8_t kind = CS_FD_NONE;
  std::string name;
  auto operator<=>(const FlowEndpoint&) const = default;
};

struct FlowFigure {
  std::string what;  // mode_switches | cpu_copies | dma_copies
  double textbook = 0, measured = 0;
  std::string why;
};

struct DataFlow {
  FlowEndpoint source, destination;
  std::string method;  // read_write, mmap_write, sendfile, splice, copy_file_range, io_uring, msg_zerocopy,
                       // direct_io, or other
  std::string reason;  // why this method (for "other": why none fits)
  uint64_t bytes = 0;  // delivered to the destination
  uint64_t calls = 0;  // every call of the flow, both legs (a read and its write)
  uint64_t units = 0;  // transfer units: the calls that delivered to the destination
  std::map<std::string, uint64_t> syscalls;
  // Per transfer unit; cpu_copies attributed per byte from the copy rules.
  double mode_switches = 0, cpu_copies = 0, dma_copies = 0;
  Expectation textbook;      // of the method's row for this destination (none for "other")
  std::string textbook_row;  // the row's id
  std::vector<FlowFigure> deviations;
  std::vector<std::string> cpu_copy_why;  // the copy rules of its legs
};

// Facts the classifier needs besides the run (the caller looks them up).
struct FlowContext {
  const Textbook* textbook = nullptr;  // for the textbook figures; none: no textbook, no deviations
  bool nic_sg = true;                  // the sending device does scatter-gather (loopback does)
};

// The sender's flows, largest first. Syscall flows come from the event log
// (a thinned log gives the flows of the events it kept); io_uring requests,
// whose descriptors the events do not carry, from the exact flow counters.
std::vector<DataFlow> classify_flows(const Run& run, const FlowContext& ctx);

// The textbook methods a flow may be classified as, in the order above.
const std::vector<std::string>& flow_methods();

}  // namespace copyscope
