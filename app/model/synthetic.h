// A made-up but realistic Run (read + write of a file to a TCP sink) for tests
// and benchmarks that must work without BPF. Never shown as a measurement.
#pragma once

#include <cstddef>

#include "model/run.h"

namespace copyscope {

// About `events` events: syscall spans, block I/O, scheduler in/out, page faults,
// page-cache inserts and loopback transmits, ordered by time. kernel.release is
// "synthetic" so every view can say so.
Run make_synthetic_run(size_t events);

}  // namespace copyscope
