// vmsplice: user memory goes into a pipe by reference (the pipe points at the
// user's pages), then splice moves it from the pipe to the sink. The data is in
// user memory before the phase (read from the file beforehand).
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "scenario.h"

namespace scenario {

Outcome run_vmsplice(const Options& opt, Sink& sink) {
  // Page-aligned, so whole pages can be referenced.
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, opt.size)) throw std::runtime_error("posix_memalign failed");
  char* data = static_cast<char*>(mem);
  int in = open_source(opt);
  read_exact(in, data, opt.size);
  close(in);
  int p[2];
  if (pipe2(p, O_CLOEXEC)) fail("pipe");
  Outcome out;
  int cap = 0;
  const uint64_t chunk = pipe_chunk(p[1], opt, out, &cap);
  uint64_t vmsplices = 0, splices = 0;
  phase_begin();
  while (out.bytes < opt.size) {
    iovec iov{data + out.bytes, static_cast<size_t>(std::min<uint64_t>(chunk, opt.size - out.bytes))};
    // The user must not touch these pages until the reader consumed them; we never do.
    ssize_t n = vmsplice(p[1], &iov, 1, 0);
    ++vmsplices;
    if (n < 0) fail("vmsplice");
    splice_all(p[0], sink.fd, static_cast<size_t>(n), &splices);
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  phase_end();
  close(p[0]);
  close(p[1]);
  free(mem);
  out.extra["vmsplice_calls"] = vmsplices;
  out.extra["splice_calls"] = splices;
  out.extra["pipe_capacity"] = cap;
  out.extra["source"] = "user memory, filled from the file before the phase";
  return out;
}

}  // namespace scenario
