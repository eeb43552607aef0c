// The data-flow classifier of copyscope trace (model/flows.h), on synthetic
// events: no BPF. Each test builds the calls a program would make and checks
// the flows, their method and their per-unit figures.
#include <gtest/gtest.h>

#include "model/analysis.h"
#include "model/flows.h"
#include "model/run_json.h"
#include "model/textbook.h"

using namespace copyscope;

namespace {

constexpr uint32_t kPid = 100;

struct Program {
  Run run;
  uint64_t ts = 1000;

  Program() {
    run.params.method = kTraceMethod;
    run.params.sink = kTraceSink;
    run.kernel.release = "6.18.0-synthetic";
    run.kernel.net_device = "lo";
    run.kernel.nic_sg = 1;
  }
  void name(int fd, const std::string& what, uint32_t tgid = kPid) { run.fd_names.push_back({tgid, fd, ts, what}); }
  // One syscall: in_fd/out_fd as the kernel side records them (-1: none).
  void call(uint8_t sys, int in_fd, uint8_t src, int out_fd, uint8_t dst, int64_t ret, uint32_t tid = kPid,
            bool zerocopy = false, uint32_t tgid = kPid) {
    Event e{};
    e.ts = ts;
    e.dur = 10;
    e.type = CS_EV_SYSCALL;
    e.role = CS_ROLE_SENDER;
    e.tgid = tgid;
    e.tid = tid;
    e.sys = sys;
    e.a = src;
    e.b = dst;
    e.ret = ret;
    e.cpu = 1;  // the CPU it ran on: no meaning for the flows
    e.arg1 = zerocopy ? CS_COUNT_MSG_ZEROCOPY : 0;
    e.arg0 = (uint64_t{static_cast<uint32_t>(in_fd)} << 32) | static_cast<uint32_t>(out_fd);
    run.events.push_back(e);
    ts += 100;
  }
  std::vector<DataFlow> flows(bool textbook = true) const {
    FlowContext ctx;
    ctx.textbook = textbook ? &Textbook::builtin() : nullptr;
    return classify_flows(run, ctx);
  }
};

const DataFlow* find(const std::vector<DataFlow>& flows, const std::string& method) {
  for (const DataFlow& f : flows)
    if (f.method == method) return &f;
  return nullptr;
}

}  // namespace

TEST(Flows, ReadWriteLoopIsOneFlowFromFileToSocket) {
  Program p;
  p.name(3, "/srv/big.iso");
  p.name(4, "tcp 127.0.0.1:8080 <-> 127.0.0.1:5000");
  for (int i = 0; i < 16; ++i) {
    p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 65536);
    p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 65536);
  }
  const auto flows = p.flows();
  ASSERT_EQ(flows.size(), 1u);
  const DataFlow& f = flows[0];
  EXPECT_EQ(f.method, "read_write");
  EXPECT_EQ(f.source.kind, CS_FD_FILE);
  EXPECT_EQ(f.source.name, "/srv/big.iso");
  EXPECT_EQ(f.destination.kind, CS_FD_TCP);
  EXPECT_EQ(f.destination.name, "tcp 127.0.0.1:8080 <-> 127.0.0.1:5000");
  EXPECT_EQ(f.bytes, 16u * 65536);
  EXPECT_EQ(f.calls, 32u);
  EXPECT_EQ(f.units, 16u);
  EXPECT_DOUBLE_EQ(f.mode_switches, 4);
  EXPECT_DOUBLE_EQ(f.cpu_copies, 2);
  EXPECT_DOUBLE_EQ(f.dma_copies, 0);  // warm cache, loopback
  ASSERT_TRUE(f.textbook.mode_switches);
  EXPECT_EQ(*f.textbook.mode_switches, 4);
  EXPECT_EQ(*f.textbook.cpu_copies, 2);
  bool dma_explained = false;
  for (const FlowFigure& d : f.deviations)
    if (d.what == "dma_copies") dma_explained = d.why.find("loopback") != std::string::npos;
  EXPECT_TRUE(dma_explained);
}

TEST(Flows, SendfileCopyFileRangeAndSpliceAreTheirOwnMethods) {
  Program p;
  p.name(3, "/a");
  p.name(4, "/b");
  p.name(5, "tcp 127.0.0.1:80 <-> 127.0.0.1:6000");
  p.name(6, "pipe:[77]");
  p.name(7, "tcp 127.0.0.1:80 <-> 127.0.0.1:6001");
  p.call(CS_SYS_COPY_FILE_RANGE, 3, CS_FD_FILE, 4, CS_FD_FILE, 1 << 20);
  p.call(CS_SYS_COPY_FILE_RANGE, 3, CS_FD_FILE, 4, CS_FD_FILE, 1 << 20);
  p.call(CS_SYS_SENDFILE, 3, CS_FD_FILE, 5, CS_FD_TCP, 1 << 19);
  for (int i = 0; i < 4; ++i) {
    p.call(CS_SYS_SPLICE, 3, CS_FD_FILE, 6, CS_FD_PIPE, 65536);
    p.call(CS_SYS_SPLICE, 6, CS_FD_PIPE, 7, CS_FD_TCP, 65536);
  }
  const auto flows = p.flows();
  ASSERT_EQ(flows.size(), 3u);
  const DataFlow* cfr = find(flows, "copy_file_range");
  ASSERT_TRUE(cfr);
  EXPECT_EQ(cfr->bytes, 2u << 20);
  EXPECT_EQ(cfr->source.name, "/a");
  EXPECT_EQ(cfr->destination.name, "/b");
  EXPECT_DOUBLE_EQ(cfr->mode_switches, 2);
  EXPECT_DOUBLE_EQ(cfr->cpu_copies, 1);
  const DataFlow* sf = find(flows, "sendfile");
  ASSERT_TRUE(sf);
  EXPECT_EQ(sf->bytes, 1u << 19);
  EXPECT_DOUBLE_EQ(sf->cpu_copies, 0);  // loopback gathers: page references
  EXPECT_EQ(sf->textbook_row, "sg_gather");
  const DataFlow* sp = find(flows, "splice");
  ASSERT_TRUE(sp);
  EXPECT_EQ(sp->source.name, "/a");  // through the pipe, from the file
  EXPECT_EQ(sp->destination.name, "tcp 127.0.0.1:80 <-> 127.0.0.1:6001");
  EXPECT_EQ(sp->bytes, 4u * 65536);
  EXPECT_EQ(sp->calls, 8u);
  EXPECT_EQ(sp->units, 4u);
  EXPECT_DOUBLE_EQ(sp->mode_switches, 4);  // two calls a chunk: a deviation from the textbook's 2
  bool two_calls = false;
  for (const FlowFigure& d : sp->deviations) two_calls |= d.what == "mode_switches";
  EXPECT_TRUE(two_calls);
}

TEST(Flows, MmapDirectZerocopyAndOther) {
  Program p;
  p.name(3, "/m");
  p.name(4, "/d");
  p.name(5, "tcp 127.0.0.1:1 <-> 127.0.0.1:2");
  p.name(6, "/out");
  p.call(CS_SYS_MMAP, 3, CS_FD_FILE, -1, CS_FD_USER, 0x7f0000000000, 2);
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 5, CS_FD_TCP, 4096, 2);
  p.call(CS_SYS_READ, 4, CS_FD_FILE_DIRECT, -1, CS_FD_USER, 4096, 3);
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 5, CS_FD_TCP, 4096, 3);
  p.call(CS_SYS_SENDTO, -1, CS_FD_USER, 5, CS_FD_TCP, 8192, 4, true);  // no source read: other
  p.call(CS_SYS_READ, 6, CS_FD_FILE, -1, CS_FD_USER, 100, 5);
  p.call(CS_SYS_SENDTO, -1, CS_FD_USER, 5, CS_FD_TCP, 100, 5, true);
  p.call(CS_SYS_READ, 6, CS_FD_FILE, -1, CS_FD_USER, 300, 6);  // read and kept
  p.call(CS_SYS_VMSPLICE, -1, CS_FD_USER, 7, CS_FD_PIPE, 50, 7);
  const auto flows = p.flows();
  const DataFlow* m = find(flows, "mmap_write");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->bytes, 4096u);
  EXPECT_EQ(m->syscalls.at("mmap"), 1u);
  EXPECT_DOUBLE_EQ(m->cpu_copies, 1);
  const DataFlow* d = find(flows, "direct_io");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source.kind, CS_FD_FILE_DIRECT);
  EXPECT_DOUBLE_EQ(d->dma_copies, 1);  // the disk DMA into the user buffer
  const DataFlow* z = find(flows, "msg_zerocopy");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->bytes, 100u);
  EXPECT_EQ(z->source.name, "/out");
  size_t others = 0;
  for (const DataFlow& f : flows) {
    if (f.method != "other") continue;
    ++others;
    EXPECT_FALSE(f.reason.empty());
    EXPECT_FALSE(f.textbook.mode_switches.has_value());
  }
  EXPECT_EQ(others, 3u);  // made in memory, read and kept, vmsplice
  for (const DataFlow& f : flows)
    if (f.destination.kind == CS_FD_PIPE) EXPECT_EQ(f.destination.name, "fd 7 of pid 100");  // never named
}

TEST(Flows, NamesFollowReusedDescriptorsAndThreadsKeepTheirOwnSource) {
  Program p;
  p.name(3, "/one");
  p.name(4, "tcp a <-> b");
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 10, 1);
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 10, 2);  // another thread reads too
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 10, 1);
  p.name(3, "/two");  // fd 3 closed and opened again
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 20, 1);
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 20, 1);
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 10, 2);
  const auto flows = p.flows(false);
  uint64_t one = 0, two = 0;
  for (const DataFlow& f : flows) {
    EXPECT_EQ(f.method, "read_write");
    if (f.source.name == "/one") one += f.bytes;
    if (f.source.name == "/two") two += f.bytes;
    EXPECT_TRUE(f.deviations.empty());  // no textbook given: nothing to compare with
  }
  EXPECT_EQ(one, 20u);
  EXPECT_EQ(two, 20u);
}

TEST(Flows, IoUringComesFromTheExactCountersAndFailuresMoveNothing) {
  Program p;
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, -11);  // EAGAIN
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 0);
  Flow uring;
  uring.sys = CS_FLOW_URING_WRITE;
  uring.src = CS_FD_USER;
  uring.dst = CS_FD_FILE;
  uring.calls = 8;
  uring.bytes = 8 * 4096;
  p.run.flows.push_back(uring);
  const auto flows = p.flows();
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].method, "io_uring");
  EXPECT_EQ(flows[0].bytes, 8u * 4096);
  EXPECT_EQ(flows[0].destination.kind, CS_FD_FILE);
}

TEST(Flows, SummaryJsonHasFlowsOnlyForTracedPrograms) {
  Program p;
  p.name(3, "/a\nb\x01");
  p.call(CS_SYS_SENDFILE, 3, CS_FD_FILE, 4, CS_FD_TCP, 4096);
  const Summary s = summarize(p.run, nullptr);
  const nlohmann::json j = to_json(s);
  ASSERT_TRUE(j.contains("flows"));
  ASSERT_EQ(j["flows"].size(), 1u);
  const auto& f = j["flows"][0];
  EXPECT_EQ(f["method"], "sendfile");
  EXPECT_EQ(f["bytes"], 4096u);
  EXPECT_EQ(f["source"]["kind"], "file");
  for (const char* k : {"mode_switches", "cpu_copies", "dma_copies"}) {
    EXPECT_TRUE(f["per_call"].contains(k));
    EXPECT_TRUE(f["textbook"].contains(k));
  }
  EXPECT_TRUE(f["deviations"].is_array());
  EXPECT_TRUE(j.contains("counters") && j.contains("stages"));

  // The names survive a round trip through the run's JSON, escaped and bounded.
  copyscope::Run again = run_from_json(run_to_json(p.run));
  ASSERT_EQ(again.fd_names.size(), 1u);
  EXPECT_EQ(again.fd_names[0].name, printable_fd_name(p.run.fd_names[0].name));
  EXPECT_EQ(printable_fd_name("/a\nb\x01"), "/a\\x0ab\\x01");
  EXPECT_LE(printable_fd_name(std::string(10000, 'x')).size(), kMaxFdNameBytes);

  copyscope::Run scenario = p.run;
  scenario.params.method = "sendfile";
  scenario.params.sink = "tcp";
  EXPECT_FALSE(to_json(summarize(scenario, nullptr)).contains("flows"));
}

TEST(Flows, AWriteRelaysWhatItsThreadReadAndTheRestComesFromMemory) {
  Program p;
  p.name(3, "/srv/page.html");
  p.name(4, "tcp s <-> c");
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 1000);
  p.call(CS_SYS_WRITEV, -1, CS_FD_USER, 4, CS_FD_TCP, 1200);  // 200 bytes of headers, then the page
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 50);     // nothing read since: the program's own
  p.call(CS_SYS_READ, 3, CS_FD_FILE, -1, CS_FD_USER, 40000);   // a big read, a little of it sent
  p.call(CS_SYS_WRITE, -1, CS_FD_USER, 4, CS_FD_TCP, 60);
  const auto flows = p.flows(false);
  uint64_t relayed = 0, own = 0;
  for (const DataFlow& f : flows) {
    if (f.method == "read_write") {
      relayed += f.bytes;
      EXPECT_NEAR(f.cpu_copies, 1.0, 0.05) << "about one copy per byte read: the writes sent few of them";
    }
    if (f.method == "other" && f.source.kind == CS_FD_USER) own += f.bytes;
  }
  EXPECT_EQ(relayed, 1060u);
  EXPECT_EQ(own, 250u);
}
