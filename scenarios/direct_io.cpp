// Direct I/O: O_DIRECT reads DMA from the disk straight into an aligned user
// buffer (the page cache is bypassed); the write to the sink still copies.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "scenario.h"

namespace scenario {

namespace {

struct Alignment {
  uint64_t memory = 4096, offset = 4096;
  std::string source;
};

// statx(STATX_DIOALIGN) (Linux 6.1+) says what this file needs; else the page size.
Alignment dio_alignment(const std::string& path) {
  Alignment a;
  struct statx stx {};
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_DIOALIGN, &stx) == 0 &&
      (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_mem_align && stx.stx_dio_offset_align) {
    a.memory = stx.stx_dio_mem_align;
    a.offset = stx.stx_dio_offset_align;
    a.source = "statx(STATX_DIOALIGN)";
    return a;
  }
  a.source = "page size (statx gave no direct-I/O alignment)";
  return a;
}

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

Outcome run_direct_io(const Options& opt, Sink& sink) {
  const Alignment al = dio_alignment(opt.file);
  const uint64_t align = std::max<uint64_t>({al.memory, al.offset, 4096});
  const uint64_t chunk = round_up(opt.buffer, align);
  Outcome out;
  if (chunk != opt.buffer)
    add_clamp(out, "buffer", opt.buffer, chunk,
              "an O_DIRECT read's length must be a multiple of the direct-I/O alignment, " + std::to_string(align) +
                  " bytes here (" + al.source + "); a read past the end of the file just comes back short");
  int in = open_source(opt, O_DIRECT);
  void* mem = nullptr;
  if (posix_memalign(&mem, align, chunk)) throw std::runtime_error("posix_memalign failed");
  char* buf = static_cast<char*>(mem);
  uint64_t writes = 0;
  phase_begin();
  for (;;) {
    // The length stays a multiple of the block size; the last read just comes back short.
    ssize_t n = read(in, buf, chunk);
    if (n < 0) fail("O_DIRECT read");
    if (n == 0) break;
    write_all(sink.fd, buf, static_cast<size_t>(n), &writes);
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  phase_end();
  close(in);
  free(mem);
  out.extra["alignment"] = {{"memory", al.memory},
                            {"offset", al.offset},
                            {"used", align},
                            {"source", al.source},
                            {"buffer_requested", opt.buffer},
                            {"buffer_used", chunk}};
  out.extra["write_calls"] = writes;
  return out;
}

}  // namespace scenario
