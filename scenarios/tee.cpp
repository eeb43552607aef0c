// tee: duplicates what a pipe holds into a second pipe without consuming it
// (buffers are shared by reference). A pipe has to be filled first (splice from
// the file) and drained afterwards (splice to /dev/null): three calls per chunk.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "scenario.h"

namespace scenario {

Outcome run_tee(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull < 0) fail("open /dev/null");
  int p[2];
  if (pipe2(p, O_CLOEXEC)) fail("pipe");
  Outcome out;
  int cap = 0;
  const uint64_t chunk = pipe_chunk(p[1], opt, out, &cap);
  fcntl(sink.fd, F_SETPIPE_SZ, cap);
  uint64_t fills = 0, tees = 0, drains = 0;
  loff_t off = 0;
  phase_begin();
  while (out.bytes < opt.size) {
    ssize_t n = splice(in, &off, p[1], nullptr, std::min<uint64_t>(chunk, opt.size - out.bytes), SPLICE_F_MOVE);
    ++fills;
    if (n < 0) fail("splice file -> pipe");
    if (n == 0) break;
    size_t left = static_cast<size_t>(n);
    while (left) {
      // tee duplicates from the start of the pipe; what was already duplicated
      // is drained below before the next tee, so each byte goes out once.
      ssize_t t = tee(p[0], sink.fd, left, 0);
      ++tees;
      if (t < 0) fail("tee");
      splice_all(p[0], devnull, static_cast<size_t>(t), &drains);
      left -= static_cast<size_t>(t);
    }
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  phase_end();
  close(p[0]);
  close(p[1]);
  close(devnull);
  close(in);
  out.extra["splice_file_to_pipe"] = fills;
  out.extra["tee_calls"] = tees;
  out.extra["splice_drain_calls"] = drains;
  out.extra["pipe_capacity"] = cap;
  return out;
}

}  // namespace scenario
