// Copy-on-write: after fork() parent and child share every page read-only; the
// child's first write to a page faults and the kernel copies that one page.
//
// Transparent huge pages would back the region with 2 MiB folios. Since Linux 5.8
// a write fault on a shared anonymous huge page splits the PMD and copies only the
// 4 KiB page touched (before 5.8 it copied all 2 MiB), but the split itself shows
// up as extra faults; the region is marked MADV_NOHUGEPAGE so each 4 KiB page is
// faulted and copied on its own, the way the articles draw it.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "scenario.h"

namespace scenario {

namespace {

// len is a multiple of the page size, so whole 64-bit words.
uint64_t checksum(const unsigned char* p, uint64_t len) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t i = 0; i < len; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    h = (h ^ v) * 1099511628211ull;
  }
  return h;
}

}  // namespace

Outcome run_cow_fork(const Options& opt, Sink&) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t len = (opt.size + page - 1) / page * page;
  void* map = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) fail("mmap anonymous region");
  const bool nohuge = madvise(map, len, MADV_NOHUGEPAGE) == 0;
  auto* region = static_cast<unsigned char*>(map);
  int in = open_source(opt);
  read_exact(in, reinterpret_cast<char*>(region), opt.size);
  close(in);
  const uint64_t before = checksum(region, len);
  const uint64_t pages = len / page;
  int report[2];
  if (pipe(report)) fail("pipe");

  phase_begin();
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    // The child: one byte per page, each first write is one CoW fault.
    close(report[0]);
    uint64_t written = 0;
    for (uint64_t off = 0; off < len; off += page) {
      region[off] ^= 0xff;
      ++written;
    }
    (void)!write(report[1], &written, sizeof written);
    _exit(0);
  }
  close(report[1]);
  uint64_t written = 0;
  if (read(report[0], &written, sizeof written) != static_cast<ssize_t>(sizeof written)) written = 0;
  int status = wait_child(pid);
  phase_end();
  close(report[0]);

  const bool unchanged = checksum(region, len) == before;
  munmap(map, len);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("the writing child failed");
  if (!unchanged) throw std::runtime_error("the parent's memory changed: copy-on-write did not isolate the child");
  Outcome out;
  out.bytes = written * page;  // each written page is copied once
  out.units = written;
  out.extra["copy_on_write"] = true;  // the analysis counts the write faults as page copies
  out.extra["region_bytes"] = len;
  out.extra["pages"] = pages;
  out.extra["pages_written"] = written;
  out.extra["page_size"] = page;
  out.extra["child_pid"] = pid;
  out.extra["thp"] = nohuge ? "disabled for the region (MADV_NOHUGEPAGE)" : "madvise(MADV_NOHUGEPAGE) failed";
  out.extra["parent_data_unchanged"] = unchanged;
  return out;
}

}  // namespace scenario
