// Not a method: the producer of `copyscope bench pipeline`. It makes the
// cheapest syscall the tracer turns into an event (a 1-byte write to the null
// sink), as fast as it can, opt.size times, inside the transfer phase.
#include <unistd.h>

#include "scenario.h"

namespace scenario {

Outcome run_bench_pipeline(const Options& opt, Sink& sink) {
  const char byte = 0;
  Outcome out;
  phase_begin();
  for (uint64_t i = 0; i < opt.size; ++i)
    if (write(sink.fd, &byte, 1) == 1) ++out.bytes;
  phase_end();
  out.units = opt.size;
  return out;
}

}  // namespace scenario
