// splice: file -> pipe -> sink. One end of every splice must be a pipe, so each
// chunk takes two calls: the pipe holds page references, not copies.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "scenario.h"

namespace scenario {

Outcome run_splice(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  int p[2];
  if (pipe2(p, O_CLOEXEC)) fail("pipe");
  // A chunk must fit in the pipe, or splice would stop short at its capacity.
  Outcome out;
  int cap = 0;
  const uint64_t chunk = pipe_chunk(p[1], opt, out, &cap);
  uint64_t to_pipe = 0, from_pipe = 0;
  loff_t off = 0;
  phase_begin();
  while (out.bytes < opt.size) {
    ssize_t n = splice(in, &off, p[1], nullptr, std::min<uint64_t>(chunk, opt.size - out.bytes), SPLICE_F_MOVE);
    ++to_pipe;
    if (n < 0) fail("splice file -> pipe");
    if (n == 0) break;
    splice_all(p[0], sink.fd, static_cast<size_t>(n), &from_pipe);
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  phase_end();
  close(p[0]);
  close(p[1]);
  close(in);
  out.extra["splice_file_to_pipe"] = to_pipe;
  out.extra["splice_pipe_to_sink"] = from_pipe;
  out.extra["pipe_capacity"] = cap;
  return out;
}

}  // namespace scenario
