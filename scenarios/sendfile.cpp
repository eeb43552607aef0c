// sendfile: the kernel moves file data to the sink; the user never sees it.
#include <sys/sendfile.h>
#include <unistd.h>

#include "scenario.h"

namespace scenario {

Outcome run_sendfile(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  Outcome out;
  off_t off = 0;
  phase_begin();
  while (out.bytes < opt.size) {
    ssize_t n = sendfile(sink.fd, in, &off, opt.size - out.bytes);
    if (n < 0) fail("sendfile");
    ++out.units;
    if (n == 0) break;
    out.bytes += static_cast<uint64_t>(n);
  }
  phase_end();
  close(in);
  return out;
}

}  // namespace scenario
