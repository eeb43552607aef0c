// The analysis when the copy routines were hooked (kernel.copy_accounting
// "measured"), on hand-built runs: no BPF, no root.
#include <gtest/gtest.h>

#include "model/analysis.h"

using namespace copyscope;

namespace {

constexpr uint64_t kSize = 16ull << 20, kBuffer = 64ull << 10, kChunks = kSize / kBuffer;

copyscope::Run measured_run(const std::string& method, const std::string& release) {
  copyscope::Run r;
  r.params = {method, kSize, kBuffer, "cold", "tcp"};
  r.kernel.release = release;
  r.kernel.copy_accounting = "measured";
  r.kernel.copy_accounting_why = "all 9 copy routines of this kernel are hooked (9 by fentry, 0 by kprobe)";
  r.result.bytes = kSize;
  r.result.duration_ns = 500'000'000;
  return r;
}

copyscope::Run read_write(uint64_t to_user, uint64_t from_user) {
  copyscope::Run r = measured_run("read_write", "6.1.0-28-amd64");
  r.result.units = kChunks;
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.sys_calls[CS_SYS_READ] = kChunks + 1;
  s.sys_calls[CS_SYS_WRITE] = kChunks;
  s.syscall_enters = s.syscall_exits = 2 * kChunks + 1;
  r.flows.push_back({Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, kChunks, kSize});
  r.flows.push_back({Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, kChunks, kSize});
  r.measured_copies.push_back({Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, CS_COPY_TO_USER,
                               CS_CR_COPY_PAGE_TO_ITER, 4 * kChunks, to_user});
  r.measured_copies.push_back({Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, CS_COPY_FROM_USER,
                               CS_CR_COPY_FROM_ITER, 2 * kChunks, from_user});
  // The receiver's own copy is not the sender's.
  r.measured_copies.push_back(
      {Role::Receiver, CS_SYS_RECVFROM, CS_FD_TCP, CS_FD_USER, CS_COPY_TO_USER, CS_CR_COPY_TO_ITER, kChunks, kSize});
  return r;
}

copyscope::Run sendfile(uint64_t copied) {
  copyscope::Run r = measured_run("sendfile", "6.1.0-28-amd64");
  r.result.units = 1;
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.sys_calls[CS_SYS_SENDFILE] = 1;
  s.syscall_enters = s.syscall_exits = 1;
  r.flows.push_back({Role::Sender, CS_SYS_SENDFILE, CS_FD_FILE, CS_FD_TCP, 1, kSize});
  if (copied)
    r.measured_copies.push_back(
        {Role::Sender, CS_SYS_SENDFILE, CS_FD_FILE, CS_FD_TCP, CS_COPY_KERNEL, CS_CR_COPY_FROM_ITER, 8, copied});
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

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(AnalysisMeasured, CpuCopiesComeFromTheCopyRoutines) {
  // Slightly off from 2 x size: the measured figure, not the attributed one, must show.
  copyscope::Run r = read_write(kSize + 4096, kSize);
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_TRUE(s.counters.copies_measured);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 2 * kSize + 4096);
  EXPECT_EQ(s.counters.copy_to_user_bytes, kSize + 4096);
  EXPECT_EQ(s.counters.copy_from_user_bytes, kSize);
  EXPECT_EQ(s.counters.copy_kernel_bytes, 0u);
  EXPECT_EQ(s.counters.cpu_copies, 6 * kChunks);  // outermost copy-routine calls
  // Attribution is still computed, beside it.
  EXPECT_EQ(s.counters.attributed_cpu_copy_bytes, 2 * kSize);
  EXPECT_EQ(s.counters.attributed_cpu_copies, 2 * kChunks);
  EXPECT_NEAR(s.per_call.cpu_copies, 2.0, 0.001);
  EXPECT_GT(s.per_call.cpu_copies, 2.0);
  // Within 2% of the textbook and of attribution: no deviation.
  EXPECT_EQ(find(s, "cpu_copies"), nullptr);
  // The sink's copies are its own.
  EXPECT_EQ(s.receiver.cpu_copy_bytes, kSize);
  ASSERT_EQ(s.measured_copies.size(), 2u);
  bool noted = false;
  for (const auto& n : s.notes) noted |= has(n.en, "measured at the kernel's copy routines");
  EXPECT_TRUE(noted);
}

TEST(AnalysisMeasured, DeviationComparesWithTextbookAndAttribution) {
  // The kernel copied only half of what was read (say, the rest came by DMA).
  copyscope::Run r = read_write(kSize / 2, kSize);
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  const Deviation* d = find(s, "cpu_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->textbook, 2.0);
  EXPECT_EQ(d->measured, 1.5);
  EXPECT_EQ(d->attributed, 2.0);
  EXPECT_TRUE(has(d->why.en, "measured at the copy routines")) << d->why.en;
  EXPECT_TRUE(has(d->why.en, "8.0 MiB copied (8.0 MiB to_user")) << d->why.en;
  EXPECT_TRUE(has(d->why.en, "copy_page_to_iter")) << d->why.en;
  EXPECT_TRUE(has(d->why.en, "attribution: 16.0 MiB")) << d->why.en;
  nlohmann::json j = to_json(s);
  EXPECT_EQ(j["kernel"]["copy_accounting"], "measured");
  EXPECT_EQ(j["counters"]["cpu_copy_bytes"], kSize / 2 + kSize);
  EXPECT_EQ(j["counters"]["attributed_cpu_copy_bytes"], 2 * kSize);
  EXPECT_EQ(j["counters"]["measured_copy_bytes"]["to_user"], kSize / 2);
  EXPECT_EQ(j["per_call"]["cpu_copies"], 2);  // 1.5 rounds to 2
  EXPECT_EQ(j["per_call_exact"]["cpu_copies"], 1.5);
  EXPECT_EQ(j["per_call_exact"]["cpu_copies_attributed"], 2.0);
  bool found = false;
  for (const auto& dj : j["deviations"])
    if (dj["what"] == "cpu_copies") {
      found = true;
      EXPECT_EQ(dj["attributed"], 2.0);
    }
  EXPECT_TRUE(found);
  ASSERT_EQ(j["copies_measured"].size(), 2u);
  EXPECT_EQ(j["copies_measured"][0]["routine"], "copy_page_to_iter");
  EXPECT_EQ(j["copies_measured"][0]["direction"], "to_user");
}

TEST(AnalysisMeasured, SendfileWithoutCopiesGivesTheKernelsReason) {
  copyscope::Run r = sendfile(0);
  TextbookMethod tb = expectation(2, 1, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 0u);
  const Deviation* d = find(s, "cpu_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->measured, 0.0);
  EXPECT_EQ(d->textbook, 1.0);
  EXPECT_EQ(d->attributed, 0.0);
  EXPECT_TRUE(has(d->why.en, "sendfile file -> tcp (16.0 MiB moved): no CPU copy")) << d->why.en;
  // The reason is the device's scatter-gather, on 6.1 as on 6.18.
  EXPECT_TRUE(has(d->why.en, "scatter-gather")) << d->why.en;
  EXPECT_FALSE(has(d->why.en, "attributed:")) << d->why.en;
}

TEST(AnalysisMeasured, SendfileThatCopiedDiffersFromAttribution) {
  // A device without scatter-gather: the kernel copies into the socket.
  copyscope::Run r = sendfile(kSize);
  TextbookMethod tb = expectation(2, 1, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.counters.copy_kernel_bytes, kSize);
  EXPECT_DOUBLE_EQ(s.per_call.cpu_copies, 1.0);
  const Deviation* d = find(s, "cpu_copies");
  ASSERT_NE(d, nullptr) << "matches the textbook, but attribution said 0: that difference is shown";
  EXPECT_EQ(d->measured, 1.0);
  EXPECT_EQ(d->attributed, 0.0);
  EXPECT_TRUE(has(d->why.en, "16.0 MiB kernel")) << d->why.en;
}

TEST(AnalysisMeasured, CopiesOutsideTransferSyscallsAreShown) {
  copyscope::Run r = read_write(kSize, kSize);
  r.measured_copies.push_back(
      {Role::Sender, CS_SYS_OTHER, CS_FD_NONE, CS_FD_NONE, CS_COPY_FROM_USER, CS_CR_COPY_FROM_USER, 3, kSize});
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 3 * kSize);
  const Deviation* d = find(s, "cpu_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(has(d->why.en, "outside any transfer syscall: 16.0 MiB copied")) << d->why.en;
  EXPECT_TRUE(has(d->why.en, "_copy_from_user")) << d->why.en;
}

TEST(AnalysisMeasured, AttributedRunIgnoresStrayMeasurements) {
  copyscope::Run r = read_write(kSize / 2, kSize);
  r.kernel.copy_accounting = "attributed";
  TextbookMethod tb = expectation(4, 2, 2);
  Summary s = summarize(r, &tb);
  EXPECT_FALSE(s.counters.copies_measured);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 2 * kSize);
  EXPECT_TRUE(s.measured_copies.empty());
  EXPECT_FALSE(to_json(s)["counters"].contains("measured_copy_bytes"));
}

// In a kernel whose copy routines are hooked (the lab VM), a copy made for an
// io_uring request is seen inside io_uring_enter; it belongs to the request
// whose direction it has: the read into the user buffer, not the zero-copy send.
TEST(AnalysisMeasured, CopiesInsideIoUringEnterJoinTheirRequest) {
  copyscope::Run r = measured_run("io_uring_send_zc", "6.12.118+deb12-amd64");
  r.result.units = kChunks;
  RoleCounters& c = r.counters[CS_ROLE_SENDER];
  c.sys_calls[CS_SYS_IO_URING_ENTER] = kChunks / 2;
  c.syscall_enters = c.syscall_exits = kChunks / 2;
  r.flows.push_back({Role::Sender, CS_FLOW_URING_READ, CS_FD_FILE, CS_FD_USER, kChunks, kSize});
  r.flows.push_back({Role::Sender, CS_FLOW_URING_SEND_ZC, CS_FD_USER, CS_FD_TCP, kChunks, kSize});
  r.measured_copies.push_back({Role::Sender, CS_SYS_IO_URING_ENTER, CS_FD_NONE, CS_FD_NONE, CS_COPY_TO_USER,
                               CS_CR_FILEMAP_READ, kChunks, kSize});
  const Summary s = summarize(r, nullptr);
  ASSERT_TRUE(s.counters.copies_measured);
  const Stage* read = nullptr;
  for (const Stage& st : s.stages) {
    EXPECT_FALSE(st.kind == StageKind::CpuCopy && st.from == "kernel" && st.to == "kernel")
        << "the read's copy was left outside its request: " << st.rule.en;
    if (st.kind == StageKind::CpuCopy && st.sys == CS_FLOW_URING_READ) read = &st;
  }
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->bytes, kSize);
  EXPECT_EQ(read->from, "page_cache");
  EXPECT_EQ(read->to, "user_buffer");
}
