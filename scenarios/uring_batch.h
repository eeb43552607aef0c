// Shared by the io_uring scenarios: one batch of reads at consecutive offsets.
#pragma once

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "scenario.h"

namespace scenario {

// Queues one read per buffer (fewer at the end of the file) starting at `off`,
// submits them with a single io_uring_enter and waits for all. res[i] is the
// length read into bufs[i]. Returns how many reads the batch held.
inline unsigned read_batch(io_uring& ring, int fd, std::vector<std::vector<char>>& bufs, uint64_t off, uint64_t size,
                           std::vector<int>& res) {
  unsigned n = 0;
  for (; n < bufs.size() && off + n * bufs[n].size() < size; ++n) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    uint64_t o = off + n * bufs[n].size();
    io_uring_prep_read(sqe, fd, bufs[n].data(), static_cast<unsigned>(std::min<uint64_t>(bufs[n].size(), size - o)), o);
    sqe->user_data = n;
  }
  int r = io_uring_submit_and_wait(&ring, n);
  if (r < 0) {
    errno = -r;
    fail("io_uring_submit_and_wait");
  }
  for (unsigned i = 0; i < n; ++i) {
    io_uring_cqe* cqe = nullptr;
    r = io_uring_wait_cqe(&ring, &cqe);
    if (r < 0) {
      errno = -r;
      fail("io_uring_wait_cqe");
    }
    res[cqe->user_data] = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
  for (unsigned i = 0; i < n; ++i) {
    if (res[i] < 0) {
      errno = -res[i];
      fail("io_uring read");
    }
  }
  return n;
}

}  // namespace scenario
