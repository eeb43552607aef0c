// io_uring with IORING_OP_SEND_ZC: the file is read into registered-size buffers
// through io_uring, then sent with zero-copy sends. Each send posts its result
// and later a notification CQE once the kernel no longer needs the pages; with
// IORING_SEND_ZC_REPORT_USAGE the notification says whether the data was copied
// after all (always on loopback: the receiver must not keep our pages).
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "scenario.h"
#include "uring_batch.h"

#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

namespace scenario {

namespace {

constexpr unsigned kBatch = 8;

struct Counts {
  uint64_t enters = 0, reads = 0, sends = 0, notifs = 0, notifs_copied = 0, results = 0;
};

void check(int r, const char* what) {
  if (r < 0) {
    errno = -r;
    fail(what);
  }
}

bool send_zc_supported(io_uring& ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (!probe) return false;
  bool ok = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
  io_uring_free_probe(probe);
  return ok;
}

}  // namespace

Outcome run_io_uring_send_zc(const Options& opt, Sink& sink) {
  int in = open_source(opt);
  io_uring ring;
  check(io_uring_queue_init(4 * kBatch, &ring, 0), "io_uring_queue_init");
  if (!send_zc_supported(ring))
    throw std::runtime_error("this kernel's io_uring does not support IORING_OP_SEND_ZC (Linux 6.0+)");
  std::vector<std::vector<char>> bufs(kBatch, std::vector<char>(opt.buffer));
  std::vector<int> read_res(kBatch);
  Outcome out;
  Counts c;
  uint64_t off = 0;
  phase_begin();
  while (off < opt.size) {
    unsigned n = read_batch(ring, in, bufs, off, opt.size, read_res);
    ++c.enters;
    c.reads += n;
    // One linked chain of zero-copy sends; MSG_WAITALL makes each send complete fully.
    for (unsigned i = 0; i < n; ++i) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_send_zc(sqe, sink.fd, bufs[i].data(), static_cast<size_t>(read_res[i]), MSG_WAITALL,
                            IORING_SEND_ZC_REPORT_USAGE);
      sqe->user_data = i;
      if (i + 1 < n) sqe->flags |= IOSQE_IO_LINK;
      ++c.sends;
    }
    // Each send gives a result CQE (with F_MORE) and then a notification CQE:
    // the buffers are reusable only after every notification.
    unsigned pending_results = n, pending_notifs = 0;
    check(io_uring_submit(&ring), "io_uring_submit");
    ++c.enters;
    while (pending_results || pending_notifs) {
      io_uring_cqe* cqe;
      check(io_uring_wait_cqe(&ring, &cqe), "io_uring_wait_cqe");
      if (cqe->flags & IORING_CQE_F_NOTIF) {
        ++c.notifs;
        if (static_cast<uint32_t>(cqe->res) & IORING_NOTIF_USAGE_ZC_COPIED) ++c.notifs_copied;
        --pending_notifs;
      } else {
        ++c.results;
        --pending_results;
        if (cqe->flags & IORING_CQE_F_MORE) ++pending_notifs;
        int res = cqe->res;
        unsigned i = static_cast<unsigned>(cqe->user_data);
        if (res < 0) {
          errno = -res;
          io_uring_cqe_seen(&ring, cqe);
          fail("io_uring send_zc");
        }
        if (res != read_res[i]) {
          io_uring_cqe_seen(&ring, cqe);
          throw std::runtime_error("short zero-copy send despite MSG_WAITALL");
        }
        out.bytes += static_cast<uint64_t>(res);
        ++out.units;
      }
      io_uring_cqe_seen(&ring, cqe);
    }
    off += n * opt.buffer;
  }
  phase_end();
  io_uring_queue_exit(&ring);
  close(in);
  out.extra["batch"] = kBatch;
  out.extra["io_uring_submissions"] = c.enters;
  out.extra["read_sqes"] = c.reads;
  out.extra["send_zc_sqes"] = c.sends;
  out.extra["notifications"] = c.notifs;
  out.extra["notifications_copied"] = c.notifs_copied;
  out.extra["zerocopy_api"] = "IORING_OP_SEND_ZC";
  out.extra["zerocopy_sends"] = c.notifs;
  out.extra["zerocopy_copied"] = c.notifs_copied;
  return out;
}

}  // namespace scenario
