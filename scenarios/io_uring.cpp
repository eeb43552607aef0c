// io_uring: reads and writes are queued as SQEs in shared rings and submitted
// several at a time, so one io_uring_enter carries a whole batch. The data path
// is still read (page cache -> buffer) and write (buffer -> sink).
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "scenario.h"
#include "uring_batch.h"

namespace scenario {

namespace {

constexpr unsigned kBatch = 8;

struct Counts {
  uint64_t enters = 0, reads = 0, writes = 0, resubmits = 0;
};

void submit_and_wait(io_uring& ring, unsigned n, Counts& c) {
  int r = io_uring_submit_and_wait(&ring, n);
  ++c.enters;
  if (r < 0) {
    errno = -r;
    fail("io_uring_submit_and_wait");
  }
}

// Collects n completions into res[user_data].
void reap(io_uring& ring, unsigned n, std::vector<int>& res) {
  for (unsigned i = 0; i < n; ++i) {
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_wait_cqe(&ring, &cqe);
    if (r < 0) {
      errno = -r;
      fail("io_uring_wait_cqe");
    }
    res[cqe->user_data] = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
}

}  // namespace

Outcome run_io_uring(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  io_uring ring;
  int r = io_uring_queue_init(2 * kBatch, &ring, 0);
  if (r < 0) {
    errno = -r;
    fail("io_uring_queue_init");
  }
  std::vector<std::vector<char>> bufs(kBatch, std::vector<char>(opt.buffer));
  std::vector<int> res(kBatch);
  std::vector<size_t> len(kBatch), done(kBatch);
  Outcome out;
  Counts c;
  uint64_t off = 0;
  phase_begin();
  while (off < opt.size) {
    // A batch of reads at consecutive offsets, one submission.
    unsigned n = read_batch(ring, in, bufs, off, opt.size, res);
    ++c.enters;
    c.reads += n;
    for (unsigned i = 0; i < n; ++i) {
      len[i] = static_cast<size_t>(res[i]);
      done[i] = 0;
    }
    // The writes, linked so a stream sink gets them in order; a short write
    // breaks the chain and the rest is submitted again.
    unsigned first = 0;
    while (first < n) {
      unsigned queued = 0;
      for (unsigned i = first; i < n; ++i) {
        if (done[i] == len[i]) continue;
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        io_uring_prep_write(sqe, sink.fd, bufs[i].data() + done[i], static_cast<unsigned>(len[i] - done[i]),
                            static_cast<uint64_t>(-1));
        sqe->user_data = i;
        if (i + 1 < n) sqe->flags |= IOSQE_IO_LINK;
        ++c.writes;
        ++queued;
      }
      if (!queued) break;
      submit_and_wait(ring, queued, c);
      std::fill(res.begin(), res.end(), 0);
      reap(ring, queued, res);
      bool broken = false;
      for (unsigned i = first; i < n; ++i) {
        if (done[i] == len[i]) continue;
        if (res[i] > 0)
          done[i] += static_cast<size_t>(res[i]);
        else if (res[i] < 0 && res[i] != -ECANCELED) {
          errno = -res[i];
          fail("io_uring write");
        }
        if (done[i] < len[i]) {
          broken = true;
          break;
        }
      }
      if (broken) ++c.resubmits;
      while (first < n && done[first] == len[first]) ++first;
    }
    for (unsigned i = 0; i < n; ++i) out.bytes += len[i];
    out.units += n;
    off += n * opt.buffer;
  }
  phase_end();
  io_uring_queue_exit(&ring);
  close(in);
  out.extra["batch"] = kBatch;
  out.extra["io_uring_enter_calls"] = c.enters;
  out.extra["read_sqes"] = c.reads;
  out.extra["write_sqes"] = c.writes;
  out.extra["broken_chains_resubmitted"] = c.resubmits;
  return out;
}

}  // namespace scenario
