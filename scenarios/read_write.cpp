// read + write: the file is read into a user buffer, then written to the sink.
#include <unistd.h>

#include <vector>

#include "scenario.h"

namespace scenario {

Outcome run_read_write(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  std::vector<char> buf(opt.buffer);
  Outcome out;
  uint64_t writes = 0;
  phase_begin();
  for (;;) {
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0) fail("read");
    if (n == 0) break;
    write_all(sink.fd, buf.data(), static_cast<size_t>(n), &writes);
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  phase_end();
  close(in);
  out.extra["write_calls"] = writes;
  return out;
}

}  // namespace scenario
