#include "model/synthetic.h"

#include <cstdint>

namespace copyscope {

namespace {

// Small deterministic generator: tests must see the same run every time.
struct Lcg {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  uint64_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 17;
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

}  // namespace

Run make_synthetic_run(size_t events) {
  Run run;
  run.params.method = "read_write";
  run.params.buffer = 64 << 10;
  run.params.cache = "cold";
  run.params.sink = "tcp";
  run.kernel.release = "synthetic";
  run.kernel.copy_accounting = "attributed";

  constexpr uint32_t kSenderTgid = 4000, kSender = 4000, kSinkTgid = 4001, kSink = 4002;
  run.thread_names[kSender] = "scenario";
  run.thread_names[kSink] = "sink";

  Lcg rng;
  const uint64_t chunk = run.params.buffer;
  uint64_t t = 1'000'000'000ull;
  RoleCounters& snd = run.counters[CS_ROLE_SENDER];
  RoleCounters& rcv = run.counters[CS_ROLE_RECEIVER];
  Flow rd{Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, 0, 0};
  Flow wr{Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, 0, 0};
  Flow rv{Role::Receiver, CS_SYS_READ, CS_FD_TCP, CS_FD_USER, 0, 0};
  uint64_t sector = 2048, page_index = 0, units = 0;

  auto push = [&](uint8_t type, uint32_t tgid, uint32_t tid, uint64_t ts, uint64_t dur, uint8_t role) -> Event& {
    Event e{};
    e.ts = ts;
    e.dur = dur;
    e.type = type;
    e.tgid = tgid;
    e.tid = tid;
    e.role = role;
    e.cpu = static_cast<uint16_t>(tid & 1);
    run.events.push_back(e);
    RoleCounters& c = role == CS_ROLE_SENDER ? snd : rcv;
    c.events_captured++;
    return run.events.back();
  };
  auto syscall = [&](uint32_t tgid, uint32_t tid, uint8_t role, uint16_t sys, uint8_t src, uint8_t dst, uint64_t ts,
                     uint64_t dur, int64_t ret) {
    Event& e = push(CS_EV_SYSCALL, tgid, tid, ts, dur, role);
    e.sys = sys;
    e.a = src;
    e.b = dst;
    e.ret = ret;
    e.arg1 = static_cast<uint64_t>(ret);
    RoleCounters& c = role == CS_ROLE_SENDER ? snd : rcv;
    c.syscall_enters++;
    c.syscall_exits++;
    c.sys_calls[sys]++;
  };

  Event& begin = push(CS_EV_PHASE, kSenderTgid, kSender, t, 0, CS_ROLE_SENDER);
  begin.a = 1;
  const uint64_t start = t;
  while (run.events.size() + 12 < events) {
    ++units;
    // read(): sometimes a cache miss, served by the disk while the thread sleeps.
    const bool miss = rng.below(4) == 0;
    uint64_t read_dur = 3'000 + rng.below(4'000);
    if (miss) {
      const uint64_t io = 60'000 + rng.below(90'000);
      Event& so = push(CS_EV_SWITCH_OUT, kSenderTgid, kSender, t + 1'500, 0, CS_ROLE_SENDER);
      so.a = 0;
      snd.ctx_switches++;
      Event& blk = push(CS_EV_BLOCK, kSenderTgid, kSender, t + 1'200, io, CS_ROLE_SENDER);
      blk.arg0 = sector;
      blk.arg1 = chunk * 4;
      sector += (chunk * 4) / 512;
      snd.dma_ops++;
      snd.dma_bytes += chunk * 4;
      snd.dma_read_bytes += chunk * 4;
      for (int p = 0; p < 4; ++p) {
        Event& pc = push(CS_EV_PAGE_CACHE_ADD, kSenderTgid, kSender, t + 1'300 + p * 50, 0, CS_ROLE_SENDER);
        pc.arg0 = 77;
        pc.arg1 = page_index;
        pc.a = 4;  // order-4 folio: 16 pages
        page_index += 16;
        snd.page_cache_adds++;
        snd.page_cache_add_pages += 16;
      }
      push(CS_EV_SWITCH_IN, kSenderTgid, kSender, t + 1'200 + io, 0, CS_ROLE_SENDER);
      read_dur += io;
    }
    if (rng.below(8) == 0) {
      Event& f = push(CS_EV_FAULT, kSenderTgid, kSender, t + 200, 0, CS_ROLE_SENDER);
      f.a = 1;
      f.arg0 = 0x7f0000000000ull + rng.below(1 << 20) * 4096;
      snd.page_faults_user++;
    }
    syscall(kSenderTgid, kSender, CS_ROLE_SENDER, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, t, read_dur,
            static_cast<int64_t>(chunk));
    rd.calls++;
    rd.bytes += chunk;
    t += read_dur + 500 + rng.below(500);

    const uint64_t write_dur = 8'000 + rng.below(10'000);
    syscall(kSenderTgid, kSender, CS_ROLE_SENDER, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, t, write_dur,
            static_cast<int64_t>(chunk));
    wr.calls++;
    wr.bytes += chunk;
    Event& x = push(CS_EV_NET_XMIT, kSenderTgid, kSender, t + write_dur / 2, 0, CS_ROLE_SENDER);
    x.arg1 = chunk;
    x.a = 1;  // loopback
    snd.net_xmit_packets++;
    snd.loopback_xmit_bytes += chunk;

    // The receiver wakes up and drains the socket.
    const uint64_t rt = t + write_dur / 2 + 2'000;
    push(CS_EV_SWITCH_IN, kSinkTgid, kSink, rt, 0, CS_ROLE_RECEIVER);
    syscall(kSinkTgid, kSink, CS_ROLE_RECEIVER, CS_SYS_READ, CS_FD_TCP, CS_FD_USER, rt + 300, 6'000,
            static_cast<int64_t>(chunk));
    rv.calls++;
    rv.bytes += chunk;
    Event& ro = push(CS_EV_SWITCH_OUT, kSinkTgid, kSink, rt + 7'000, 0, CS_ROLE_RECEIVER);
    ro.a = 0;
    rcv.ctx_switches++;
    t += write_dur + 500 + rng.below(800);
  }
  Event& end = push(CS_EV_PHASE, kSenderTgid, kSender, t, 0, CS_ROLE_SENDER);
  end.a = 0;

  run.flows = {rd, wr, rv};
  sort_events(run.events);
  run.params.size = units * chunk;
  run.result.ok = true;
  run.result.bytes = units * chunk;
  run.result.units = units;
  run.result.duration_ns = t - start;
  run.result.sink = {{"bytes", units * chunk}};
  return run;
}

}  // namespace copyscope
