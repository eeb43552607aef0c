#include "model/flows.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "model/analysis.h"
#include "model/analysis_detail.h"

namespace copyscope {

using analysis_detail::is_read_like;
using analysis_detail::is_write_like;
using analysis_detail::ratio;
using analysis_detail::round2;

const std::vector<std::string>& flow_methods() {
  static const std::vector<std::string> kMethods = {"read_write",      "mmap_write", "sendfile",     "splice",
                                                    "copy_file_range", "io_uring",   "msg_zerocopy", "direct_io",
                                                    "other"};
  return kMethods;
}

namespace {

// One syscall kind of a flow between two descriptor kinds (the copy rules' unit).
struct Leg {
  uint8_t sys, src, dst;
  auto operator<=>(const Leg&) const = default;
};

struct FlowAcc {
  std::string method, reason;
  uint64_t bytes = 0, calls = 0, units = 0;
  std::map<std::string, uint64_t> syscalls;
  std::map<Leg, uint64_t> leg_bytes;
  // A flow that more than one thing fed (a library read, then mapped) keeps every reason.
  void describe(const std::string& m, const std::string& why) {
    method = m;
    if (reason.empty())
      reason = why;
    else if (reason.find(why) == std::string::npos)
      reason += "; " + why;
  }
  void leg(const Event& e, uint64_t bytes_moved) {
    ++calls;
    ++syscalls[syscall_name(e.sys)];
    if (bytes_moved) leg_bytes[{static_cast<uint8_t>(e.sys), e.a, e.b}] += bytes_moved;
  }
};

using FlowKey = std::tuple<FlowEndpoint, FlowEndpoint, std::string>;  // source, destination, method

// A descriptor's name at time ts, from the names the capture read.
class FdNames {
 public:
  explicit FdNames(const std::vector<FdName>& names) {
    for (const FdName& n : names) by_fd_[{n.tgid, n.fd}].push_back(&n);
    for (auto& [k, v] : by_fd_)
      std::stable_sort(v.begin(), v.end(), [](const FdName* a, const FdName* b) { return a->ts < b->ts; });
  }
  FlowEndpoint endpoint(uint8_t kind, uint32_t tgid, int32_t fd, uint64_t ts) const {
    FlowEndpoint ep{kind, {}};
    auto it = by_fd_.find({tgid, fd});
    if (it != by_fd_.end()) {
      const FdName* best = nullptr;
      for (const FdName* n : it->second)
        if (n->ts <= ts) best = n;
      if (best) ep.name = best->name;
    }
    if (ep.name.empty()) ep.name = "fd " + std::to_string(fd) + " of pid " + std::to_string(tgid);
    return ep;
  }

 private:
  std::map<std::pair<uint32_t, int32_t>, std::vector<const FdName*>> by_fd_;
};

const FlowEndpoint kUserMemory{CS_FD_USER, "the program's memory"};

// What a thread last read or mapped: the source of what it writes next.
struct PendingSource {
  FlowEndpoint source;
  bool mapped = false;         // mmap, not read
  std::vector<Event> legs;     // its reads since the last write (their calls join the flow)
  uint64_t unwritten = 0;      // bytes read since the last write
  bool written = false;        // a write followed it
};

std::string sink_of(uint8_t kind) {
  switch (kind) {
    case CS_FD_TCP:
    case CS_FD_SOCKET:
      return "tcp";
    case CS_FD_FILE:
    case CS_FD_FILE_DIRECT:
      return "file";
    case CS_FD_PIPE:
      return "pipe";
    case CS_FD_CHAR:
      return "null";
  }
  return "";
}

class Classifier {
 public:
  Classifier(const Run& run) : names_(run.fd_names) {}

  void add(const Event& e) {
    const int32_t in_fd = static_cast<int32_t>(e.arg0 >> 32), out_fd = static_cast<int32_t>(e.arg0 & 0xffffffffu);
    const uint64_t moved = e.ret > 0 ? static_cast<uint64_t>(e.ret) : 0;
    auto src = [&] { return names_.endpoint(e.a, e.tgid, in_fd, e.ts); };
    auto dst = [&] { return names_.endpoint(e.b, e.tgid, out_fd, e.ts); };
    if (e.sys == CS_SYS_MMAP) {
      if (e.ret < 0 || (e.a != CS_FD_FILE && e.a != CS_FD_FILE_DIRECT)) return;  // anonymous memory moves no data
      switch_source(e.tid, src(), true);
      pending_[e.tid].legs.push_back(e);
      return;
    }
    if (!moved) return;
    if (is_read_like(e.sys) && e.b == CS_FD_USER) {
      switch_source(e.tid, src(), false);
      PendingSource& p = pending_[e.tid];
      p.legs.push_back(e);
      p.unwritten += moved;
      return;
    }
    if (is_write_like(e.sys) && e.a == CS_FD_USER) {
      write_from_user(e, dst(), moved);
      return;
    }
    switch (e.sys) {
      case CS_SYS_SENDFILE:
        deliver(src(), dst(), "sendfile", "sendfile() moves the file to the descriptor inside the kernel", e, moved);
        return;
      case CS_SYS_COPY_FILE_RANGE:
        deliver(src(), dst(), "copy_file_range", "copy_file_range() copies between two files inside the kernel", e,
                moved);
        return;
      case CS_SYS_SPLICE:
        splice(e, src(), dst(), moved);
        return;
      case CS_SYS_TEE:
      case CS_SYS_VMSPLICE:
        deliver(e.sys == CS_SYS_TEE ? src() : kUserMemory, dst(), "other",
                std::string(syscall_name(e.sys)) +
                    "() fills a pipe by reference: pipe plumbing, not one of the textbook ways to move a file",
                e, moved);
        return;
    }
  }

  std::map<FlowKey, FlowAcc> finish() {
    for (auto& [tid, p] : pending_) flush_unwritten(p);
    for (auto& [pipe, legs] : pipe_fill_)
      for (auto& [source, fill] : legs)
        if (fill.bytes) {
          FlowAcc& f = flows_[{source, pipe, "splice"}];
          f.describe("splice", "splice() moved the data into a pipe; no splice out of it followed in the same process");
          merge(f, fill);
          f.bytes += fill.bytes;
          f.units += fill.calls;
        }
    return std::move(flows_);
  }

 private:
  struct PipeFill {
    uint64_t bytes = 0, calls = 0;
    std::map<std::string, uint64_t> syscalls;
    std::map<Leg, uint64_t> leg_bytes;
  };

  static void merge(FlowAcc& f, const PipeFill& p) {
    f.calls += p.calls;
    for (const auto& [k, v] : p.syscalls) f.syscalls[k] += v;
    for (const auto& [k, v] : p.leg_bytes) f.leg_bytes[k] += v;
  }

  void switch_source(uint32_t tid, const FlowEndpoint& source, bool mapped) {
    auto it = pending_.find(tid);
    if (it != pending_.end() && it->second.source == source && it->second.mapped == mapped) return;
    if (it != pending_.end()) flush_unwritten(it->second);
    PendingSource& p = pending_[tid];
    p = PendingSource{};
    p.source = source;
    p.mapped = mapped;
  }

  // Reads that no write of the thread followed: data the program consumed itself.
  void flush_unwritten(PendingSource& p) {
    if (p.legs.empty()) return;
    if (p.mapped) {
      if (!p.written) {
        FlowAcc& f = flows_[{p.source, kUserMemory, "other"}];
        f.describe("other", "the file was mapped into the program's memory and not written to a descriptor by the same thread");
        for (const Event& e : p.legs) f.leg(e, 0);
      }
      p.legs.clear();
      return;
    }
    FlowAcc& f = flows_[{p.source, kUserMemory, "other"}];
    f.describe("other", "read into the program's memory and not written to a descriptor by the same thread (consumed, or "
               "handed to another thread)");
    for (const Event& e : p.legs) {
      f.leg(e, static_cast<uint64_t>(e.ret));
      ++f.units;
    }
    f.bytes += p.unwritten;
    p.legs.clear();
    p.unwritten = 0;
  }

  void write_from_user(const Event& e, const FlowEndpoint& destination, uint64_t moved) {
    auto it = pending_.find(e.tid);
    if (it == pending_.end() || (it->second.legs.empty() && !it->second.written) ||
      (!it->second.mapped && !it->second.unwritten)) {
      deliver(kUserMemory, destination, "other",
              "written from the program's own memory: the thread read or mapped no descriptor before it (data the "
              "program made, or read by another thread)",
              e, moved);
      return;
    }
    PendingSource& p = it->second;
    // What the thread read and has not written yet is what this write sends
    // on; beyond it (headers, data it made) the bytes come from its memory.
    uint64_t relayed = moved;
    if (!p.mapped && p.unwritten < moved) {
      relayed = p.unwritten;
      FlowAcc& own = flows_[{kUserMemory, destination, "other"}];
      own.describe("other", "written from the program's own memory beyond what the thread had read (headers, data it made)");
      own.bytes += moved - relayed;
      own.leg_bytes[{static_cast<uint8_t>(e.sys), e.a, e.b}] += moved - relayed;
      if (!relayed) {
        own.leg(e, 0);
        ++own.units;
        return;
      }
    }
    std::string method = "read_write", reason = "read() into a user buffer, then write()/send() it out";
    if (p.mapped) {
      method = "mmap_write";
      reason = "mmap() of the file, then write()/send() from the mapping";
    } else if (p.source.kind == CS_FD_FILE_DIRECT || e.b == CS_FD_FILE_DIRECT) {
      method = "direct_io";
      reason = "an O_DIRECT descriptor: the disk DMAs to or from the user buffer, the page cache is bypassed";
    } else if (e.arg1 & CS_COUNT_MSG_ZEROCOPY) {
      method = "msg_zerocopy";
      reason = "send with MSG_ZEROCOPY: the socket pins the user pages instead of copying them";
    }
    FlowAcc& f = flows_[{p.source, destination, method}];
    f.describe(method, reason);
    for (const Event& r : p.legs) f.leg(r, r.sys == CS_SYS_MMAP ? 0 : static_cast<uint64_t>(r.ret));
    p.legs.clear();
    p.unwritten -= std::min(p.unwritten, relayed);
    p.written = true;
    f.leg(e, relayed);
    f.bytes += relayed;
    ++f.units;
  }

  void deliver(const FlowEndpoint& source, const FlowEndpoint& destination, const std::string& method,
               const std::string& reason, const Event& e, uint64_t moved) {
    FlowAcc& f = flows_[{source, destination, method}];
    f.describe(method, reason);
    f.leg(e, moved);
    f.bytes += moved;
    ++f.units;
  }

  // file -> pipe, then pipe -> socket: one flow from the file to the socket.
  void splice(const Event& e, const FlowEndpoint& source, const FlowEndpoint& destination, uint64_t moved) {
    if (e.b == CS_FD_PIPE && e.a != CS_FD_PIPE) {
      PipeFill& p = pipe_fill_[destination][source];
      p.bytes += moved;
      ++p.calls;
      ++p.syscalls["splice"];
      p.leg_bytes[{static_cast<uint8_t>(e.sys), e.a, e.b}] += moved;
      return;
    }
    FlowEndpoint from = source;
    const PipeFill* fill = nullptr;
    if (e.a == CS_FD_PIPE) {
      auto it = pipe_fill_.find(source);
      if (it != pipe_fill_.end() && !it->second.empty()) {
        // The source that filled this pipe most: a pipe relays one file at a time in practice.
        auto best = std::max_element(it->second.begin(), it->second.end(),
                                     [](const auto& a, const auto& b) { return a.second.bytes < b.second.bytes; });
        from = best->first;
        fill = &best->second;
      }
    }
    FlowAcc& f = flows_[{from, destination, "splice"}];
    f.describe("splice", fill ? "splice() into a pipe, then splice() out of it: the pages are moved by reference"
                    : "splice() out of a pipe the program filled some other way");
    if (fill) {
      merge(f, *fill);
      pipe_fill_[source].erase(from);
    }
    f.leg(e, moved);
    f.bytes += moved;
    ++f.units;
  }

  FdNames names_;
  std::map<uint32_t, PendingSource> pending_;
  std::map<FlowEndpoint, std::map<FlowEndpoint, PipeFill>> pipe_fill_;  // pipe -> source -> what it filled
  std::map<FlowKey, FlowAcc> flows_;
};

// Whether bytes leaving through a TCP socket met a device that DMAs.
bool real_nic(const Run& run) {
  return run.kernel.net_device != "lo" && !run.kernel.net_device.empty() && run.sender().net_xmit_bytes > 0;
}

void figures(const Run& run, const FlowContext& ctx, const KernelVersion& kv, uint64_t file_read_bytes,
             uint64_t file_write_bytes, DataFlow& f, const std::map<Leg, uint64_t>& legs) {
  f.mode_switches = round2(ratio(2 * f.calls, f.units));
  double copies = 0;
  for (const auto& [leg, bytes] : legs) {
    Flow fl;
    fl.sys = leg.sys;
    fl.src = leg.src;
    fl.dst = leg.dst;
    const CopyRule rule = copy_rule(fl, kv, ctx.nic_sg);
    copies += rule.copies_per_byte * static_cast<double>(bytes);
    if (std::find(f.cpu_copy_why.begin(), f.cpu_copy_why.end(), rule.why) == f.cpu_copy_why.end())
      f.cpu_copy_why.push_back(rule.why);
  }
  // Per byte of the leg that moved the most: a read of 40 KiB of which 60
  // bytes were written on is one copy of those bytes, not 680.
  uint64_t widest = f.bytes;
  for (const auto& [leg, bytes] : legs) widest = std::max(widest, bytes);
  f.cpu_copies = round2(widest ? copies / static_cast<double>(widest) : 0);
  // DMA: the disk's share of the run's reads from files (the rest came from
  // the page cache), the disk's share of its writes, a real card's transmit.
  const RoleCounters& c = run.sender();
  double dma = 0;
  if (f.source.kind == CS_FD_FILE_DIRECT) dma += 1;
  if (f.source.kind == CS_FD_FILE && file_read_bytes)
    dma += std::min(1.0, ratio(c.dma_read_bytes, file_read_bytes));
  if (f.destination.kind == CS_FD_FILE_DIRECT) dma += 1;
  if (f.destination.kind == CS_FD_FILE && file_write_bytes)
    dma += std::min(1.0, ratio(c.dma_write_bytes, file_write_bytes));
  if (f.destination.kind == CS_FD_TCP && real_nic(run)) dma += 1;
  f.dma_copies = round2(dma);
}

void compare(const Run& run, const FlowContext& ctx, DataFlow& f) {
  if (!ctx.textbook || f.method == "other") return;
  const TextbookMethod* tb = ctx.textbook->find(f.method);
  if (!tb) return;
  const TextbookRow& row = tb->row_for({sink_of(f.destination.kind), ctx.nic_sg, false});
  f.textbook = row.expect;
  f.textbook_row = row.id;
  auto differs = [](double m, const std::optional<double>& t) { return t && std::fabs(m - *t) >= 0.005; };
  if (differs(f.mode_switches, f.textbook.mode_switches)) {
    const double t = *f.textbook.mode_switches;
    f.deviations.push_back(
        {"mode_switches", t, f.mode_switches,
         f.mode_switches > t
             ? "the program made more calls per delivered chunk than the textbook's one round (short reads or "
               "writes, or reads in smaller pieces than its writes)"
             : "each call moved more than one textbook unit (fewer, larger calls than a buffer-sized loop)"});
  }
  if (differs(f.cpu_copies, f.textbook.cpu_copies)) {
    std::string why;
    for (const std::string& w : f.cpu_copy_why) why += (why.empty() ? "" : "; ") + w;
    f.deviations.push_back({"cpu_copies", *f.textbook.cpu_copies, f.cpu_copies, "attributed per byte: " + why});
  }
  if (differs(f.dma_copies, f.textbook.dma_copies)) {
    std::string why;
    if (f.source.kind == CS_FD_FILE && run.sender().dma_read_bytes == 0)
      why = "the source was already in the page cache: no disk DMA";
    else if (f.source.kind == CS_FD_FILE)
      why = "only part of the source came from the disk (the rest was in the page cache)";
    if (f.destination.kind == CS_FD_TCP && !real_nic(run))
      why += std::string(why.empty() ? "" : "; ") + "loopback has no NIC: the last stage is a software hand-off, not DMA";
    if (f.destination.kind == CS_FD_FILE)
      why += std::string(why.empty() ? "" : "; ") +
             "the destination's pages are written back to the disk later (writeback), mostly after the trace";
    if (why.empty()) why = "the destination is not a device";
    f.deviations.push_back({"dma_copies", *f.textbook.dma_copies, f.dma_copies, why});
  }
}

}  // namespace

std::vector<DataFlow> classify_flows(const Run& run, const FlowContext& ctx) {
  Classifier c(run);
  for (const Event& e : run.events)
    if (e.type == CS_EV_SYSCALL && e.role == CS_ROLE_SENDER) c.add(e);
  std::map<FlowKey, FlowAcc> accs = c.finish();

  // io_uring requests: the exact counters, by descriptor kinds only.
  for (const Flow& fl : run.flows) {
    if (fl.role != Role::Sender || fl.sys < CS_FLOW_URING_READ || fl.sys > CS_FLOW_URING_OTHER || !fl.bytes) continue;
    const bool reads = fl.sys == CS_FLOW_URING_READ || fl.sys == CS_FLOW_URING_RECV;
    FlowEndpoint src{fl.src, reads ? "(io_uring request)" : kUserMemory.name};
    FlowEndpoint dst{fl.dst, reads ? kUserMemory.name : "(io_uring request)"};
    if (fl.src == CS_FD_USER) src = kUserMemory;
    if (fl.dst == CS_FD_USER) dst = kUserMemory;
    FlowAcc& f = accs[{src, dst, "io_uring"}];
    f.describe("io_uring", "requests submitted through an io_uring (" + flow_name(fl.sys) +
                               "); the kernel does not say which descriptor each one used");
    f.calls += fl.calls;
    f.units += fl.calls;
    f.bytes += fl.bytes;
    f.syscalls[flow_name(fl.sys)] += fl.calls;
    f.leg_bytes[{fl.sys, fl.src, fl.dst}] += fl.bytes;
  }

  uint64_t file_read = 0, file_write = 0;
  for (const auto& [key, a] : accs) {
    if (std::get<0>(key).kind == CS_FD_FILE) file_read += a.bytes;
    if (std::get<1>(key).kind == CS_FD_FILE) file_write += a.bytes;
  }
  const KernelVersion kv = KernelVersion::parse(run.kernel.release);
  std::vector<DataFlow> out;
  for (auto& [key, a] : accs) {
    if (!a.bytes) continue;  // files only mapped (their pages come in by faults, not calls): no flow of bytes
    DataFlow f;
    f.source = std::get<0>(key);
    f.destination = std::get<1>(key);
    f.method = a.method;
    f.reason = a.reason;
    f.bytes = a.bytes;
    f.calls = a.calls;
    f.units = a.units;
    f.syscalls = a.syscalls;
    figures(run, ctx, kv, file_read, file_write, f, a.leg_bytes);
    compare(run, ctx, f);
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const DataFlow& a, const DataFlow& b) { return a.bytes > b.bytes; });
  return out;
}

}  // namespace copyscope
