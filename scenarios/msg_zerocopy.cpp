// MSG_ZEROCOPY: send() pins the user pages instead of copying them into the
// socket; the kernel reports on the socket's error queue when they may be reused.
// On loopback the receiver would keep pointers into our memory, so the kernel
// copies after all and flags the completion SO_EE_CODE_ZEROCOPY_COPIED.
#include <time.h>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "scenario.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

namespace scenario {

namespace {

struct Completions {
  uint64_t notifications = 0;  // error-queue messages
  uint64_t sends_completed = 0;
  uint64_t copied = 0;  // sends the kernel copied anyway
  uint64_t recvmsg_calls = 0;
};

// Drains the error queue; returns once `want` sends are completed (or nothing waits when !block).
void reap(int fd, uint64_t want, Completions& c, bool block) {
  while (c.sends_completed < want) {
    char control[128];
    msghdr msg{};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t r = recvmsg(fd, &msg, MSG_ERRQUEUE | (block ? 0 : MSG_DONTWAIT));
    ++c.recvmsg_calls;
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!block) return;
        // The error queue has no blocking wait: poll for POLLERR.
        pollfd p{fd, 0, 0};
        poll(&p, 1, 100);
        continue;
      }
      if (errno == EINTR) continue;
      fail("recvmsg(MSG_ERRQUEUE)");
    }
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
            (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
        continue;
      auto* ee = reinterpret_cast<sock_extended_err*>(CMSG_DATA(cm));
      if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY) continue;
      // ee_info..ee_data is the inclusive range of completed send numbers.
      uint64_t n = static_cast<uint64_t>(ee->ee_data - ee->ee_info) + 1;
      ++c.notifications;
      c.sends_completed += n;
      if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) c.copied += n;
    }
  }
}

}  // namespace

Outcome run_msg_zerocopy(const Options& opt, Sink& sink) {
  int one = 1;
  if (setsockopt(sink.fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one)) fail("setsockopt(SO_ZEROCOPY)");
  int in = open_source(opt);
  // Pinned pages may not be reused before their completion: a ring of buffers.
  constexpr unsigned kRing = 8;
  std::vector<std::vector<char>> bufs(kRing, std::vector<char>(opt.buffer));
  Outcome out;
  Completions c;
  uint64_t reads = 0, sends = 0;
  phase_begin();
  std::vector<uint64_t> slot_sends(kRing, 0);  // sends issued up to the slot's last use
  for (;;) {
    const unsigned slot = out.units % kRing;
    // The slot's pages stay pinned until its last send completed.
    reap(sink.fd, slot_sends[slot], c, true);
    std::vector<char>& buf = bufs[slot];
    ssize_t n = read(in, buf.data(), buf.size());
    ++reads;
    if (n < 0) fail("read");
    if (n == 0) break;
    size_t off = 0;
    while (off < static_cast<size_t>(n)) {
      ssize_t w = send(sink.fd, buf.data() + off, static_cast<size_t>(n) - off, MSG_ZEROCOPY);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {  // too many pinned pages: wait for completions
          reap(sink.fd, c.sends_completed + 1, c, true);
          continue;
        }
        fail("send(MSG_ZEROCOPY)");
      }
      ++sends;  // every successful zerocopy send gets a completion number
      off += static_cast<size_t>(w);
    }
    slot_sends[slot] = sends;
    out.bytes += static_cast<uint64_t>(n);
    ++out.units;
  }
  reap(sink.fd, sends, c, true);
  phase_end();
  close(in);
  out.extra["zerocopy_api"] = "MSG_ZEROCOPY";
  out.extra["zerocopy_sends"] = sends;
  out.extra["read_calls"] = reads;
  out.extra["completions"] = {{"notifications", c.notifications},
                              {"sends_completed", c.sends_completed},
                              {"copied", c.copied},
                              {"recvmsg_errqueue_calls", c.recvmsg_calls}};
  out.extra["zerocopy_copied"] = c.copied;
  out.extra["so_ee_code_zerocopy_copied"] = c.copied > 0;
  return out;
}

}  // namespace scenario
