// The analysis on synthetic runs: no BPF, no root.
#include <gtest/gtest.h>

#include "model/analysis.h"

using namespace copyscope;

namespace {

copyscope::Run synthetic_read_write(uint64_t size, uint64_t buffer, bool loopback) {
  copyscope::Run r;
  r.params = {"read_write", size, buffer, "cold", "tcp"};
  r.kernel.release = "6.18.0";
  const uint64_t chunks = size / buffer;
  r.result.bytes = size;
  r.result.units = chunks;
  r.result.duration_ns = 1'000'000'000;
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.sys_calls[CS_SYS_READ] = chunks + 1;  // the EOF read
  s.sys_calls[CS_SYS_WRITE] = chunks;
  s.syscall_enters = s.syscall_exits = 2 * chunks + 1;
  s.dma_bytes = s.dma_read_bytes = size;
  s.dma_ops = 11;
  (loopback ? s.loopback_xmit_bytes : s.net_xmit_bytes) = size;
  s.net_xmit_packets = 10;
  r.flows.push_back({Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, chunks, size});
  r.flows.push_back({Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, chunks, size});
  return r;
}

TextbookMethod expectation(double ms, double cpu, double dma) {
  TextbookMethod m;
  m.expect.mode_switches = ms;
  m.expect.cpu_copies = cpu;
  m.expect.dma_copies = dma;
  return m;
}

const Deviation* find(const Summary& s, const std::string& what) {
  for (const auto& d : s.deviations)
    if (d.what == what) return &d;
  return nullptr;
}

}  // namespace

TEST(Analysis, ReadWriteAttributesTwoCopiesPerByte) {
  copyscope::Run r = synthetic_read_write(32 << 20, 64 << 10, true);
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 64u << 20);
  EXPECT_EQ(s.counters.cpu_copies, 1024u);
  EXPECT_EQ(s.counters.mode_switches, 2u * 1025);
  EXPECT_NEAR(s.per_call.mode_switches, 4.0, 0.01);
  EXPECT_DOUBLE_EQ(s.per_call.cpu_copies, 2.0);
  EXPECT_EQ(find(s, "mode_switches"), nullptr);
  EXPECT_EQ(find(s, "cpu_copies"), nullptr);
  // Loopback: one DMA stage (the disk) and a deviation that says why.
  EXPECT_EQ(s.per_call.dma_copies, 1.0);
  const Deviation* d = find(s, "dma_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->why.en.find("loopback"), std::string::npos);
  EXPECT_NE(d->why.en.find("not DMA"), std::string::npos);
}

TEST(Analysis, RealNicCountsAsDma) {
  copyscope::Run r = synthetic_read_write(8 << 20, 64 << 10, false);
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.per_call.dma_copies, 2.0);
  EXPECT_EQ(find(s, "dma_copies"), nullptr);
  EXPECT_EQ(s.counters.dma_bytes, 16u << 20);
}

// TCP has sent page-cache pages by reference since 2.4 wherever the device does
// scatter-gather: the reason does not depend on the kernel's version (6.5
// changed the route, not the count), only on the device.
TEST(Analysis, SendfileOnModernKernelExplainsZeroCopies) {
  copyscope::Run r;
  r.params = {"sendfile", 32 << 20, 64 << 10, "cold", "tcp"};
  r.kernel.release = "6.18.44";
  r.result.bytes = 32 << 20;
  r.result.units = 1;
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.sys_calls[CS_SYS_SENDFILE] = 1;
  s.syscall_enters = s.syscall_exits = 1;
  s.dma_bytes = 32 << 20;
  r.flows.push_back({Role::Sender, CS_SYS_SENDFILE, CS_FD_FILE, CS_FD_TCP, 1, 32 << 20});
  TextbookMethod tb = expectation(2, 1, 2);
  Summary sum = summarize(r, &tb);
  EXPECT_EQ(sum.counters.cpu_copy_bytes, 0u);
  EXPECT_EQ(sum.per_call.mode_switches, 2.0);
  const Deviation* d = find(sum, "cpu_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->why.en.find("scatter-gather"), std::string::npos) << d->why.en;
  EXPECT_NE(d->why.en.find("2.4"), std::string::npos) << d->why.en;
  EXPECT_NE(d->why.en.find("attributed"), std::string::npos);
  r.kernel.release = "5.15.0";
  Summary old = summarize(r, &tb);
  ASSERT_NE(find(old, "cpu_copies"), nullptr);
  EXPECT_EQ(find(old, "cpu_copies")->why.en, d->why.en);
  // A device without scatter-gather: the pages are copied into the socket buffer.
  r.kernel.nic_sg = 0;
  Summary no_sg = summarize(r, &tb);
  EXPECT_EQ(no_sg.counters.cpu_copy_bytes, uint64_t{32} << 20);
  EXPECT_EQ(find(no_sg, "cpu_copies"), nullptr);
}

TEST(Analysis, WarmCacheExplainsMissingDiskDma) {
  copyscope::Run r = synthetic_read_write(4 << 20, 64 << 10, true);
  r.params.cache = "warm";
  r.counters[CS_ROLE_SENDER].dma_bytes = 0;
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.per_call.dma_copies, 0.0);
  ASSERT_NE(find(s, "dma_copies"), nullptr);
  EXPECT_NE(find(s, "dma_copies")->why.en.find("warm"), std::string::npos);
}

// A DMA difference is explained only by what the textbook row draws: a row
// without a disk arrow (tee, vmsplice) is not told "disk DMA carried only ...".
TEST(Analysis, DmaReasonsFollowTheRowsArrows) {
  copyscope::Run r = synthetic_read_write(4 << 20, 64 << 10, true);
  r.params.sink = "pipe";
  TextbookMethod no_dma = expectation(4, 2, 0);
  no_dma.arrows.push_back({"page_cache", "pipe", "share", 1, {}});
  Summary s = summarize(r, &no_dma);
  ASSERT_NE(find(s, "dma_copies"), nullptr);
  EXPECT_NE(find(s, "dma_copies")->why.en.find("set-up brought the file in from disk"), std::string::npos);
  EXPECT_EQ(find(s, "dma_copies")->why.en.find("not a device"), std::string::npos);

  r.counters[CS_ROLE_SENDER].dma_bytes = r.counters[CS_ROLE_SENDER].dma_read_bytes = 0;
  TextbookMethod nic_only = expectation(4, 2, 1);
  nic_only.arrows.push_back({"socket_buffer", "nic", "dma", 5, {}});
  s = summarize(r, &nic_only);
  ASSERT_NE(find(s, "dma_copies"), nullptr);
  EXPECT_EQ(find(s, "dma_copies")->why.en, "the sink is pipe, not a device: no DMA on the way out");
}

TEST(Analysis, JsonCarriesTheContract) {
  copyscope::Run r = synthetic_read_write(1 << 20, 64 << 10, true);
  TextbookMethod tb = expectation(4, 2, 2);
  nlohmann::json j = to_json(summarize(r, &tb));
  for (const char* k : {"method", "params", "kernel", "duration_ns", "bytes", "throughput_mib_s", "counters",
                        "per_call", "textbook", "deviations", "sink"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"syscalls", "mode_switches", "context_switches", "cpu_copies", "cpu_copy_bytes", "dma_ops",
                        "dma_bytes", "page_faults", "page_cache_adds", "events_captured", "events_dropped"})
    EXPECT_TRUE(j["counters"].contains(k)) << k;
  EXPECT_EQ(j["kernel"]["copy_accounting"], "attributed");
  EXPECT_EQ(j["counters"]["syscalls"]["read"], 17);
  EXPECT_DOUBLE_EQ(j["throughput_mib_s"].get<double>(), 1.0);
}

TEST(Analysis, UnknownFlowIsNotCountedButNoted) {
  copyscope::Run r = synthetic_read_write(1 << 20, 64 << 10, true);
  r.flows.push_back({Role::Sender, CS_SYS_SPLICE, CS_FD_OTHER, CS_FD_OTHER, 1, 4096});
  Summary s = summarize(r, nullptr);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 2u << 20);
  bool noted = false;
  for (const auto& n : s.notes) noted |= n.en.find("unattributed") != std::string::npos;
  EXPECT_TRUE(noted);
}
