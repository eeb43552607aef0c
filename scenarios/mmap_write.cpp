// mmap + write: the file's page cache is mapped into the process, then written
// to the sink straight from the mapping; the user never read()s it.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "scenario.h"

namespace scenario {

Outcome run_mmap_write(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  Outcome out;
  uint64_t writes = 0;
  phase_begin();
  void* map = mmap(nullptr, opt.size, PROT_READ, MAP_SHARED, in, 0);
  if (map == MAP_FAILED) fail("mmap");
  const char* p = static_cast<const char*>(map);
  while (out.bytes < opt.size) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(opt.buffer, opt.size - out.bytes));
    // The first touch of each page faults inside write(): the kernel maps it in.
    write_all(sink.fd, p + out.bytes, n, &writes);
    out.bytes += n;
    ++out.units;
  }
  munmap(map, opt.size);
  phase_end();
  close(in);
  out.extra["write_calls"] = writes;
  // A mapping is whole pages: a 1-byte file still maps (and faults in) a page.
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  out.extra["file_bytes"] = opt.size;
  out.extra["mapped_bytes"] = (opt.size + page - 1) / page * page;
  out.extra["page_size"] = page;
  return out;
}

}  // namespace scenario
