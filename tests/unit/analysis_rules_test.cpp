// Issue 3's copy rules and teaching notes on synthetic runs: no BPF, no root.
#include <gtest/gtest.h>

#include "model/analysis.h"

using namespace copyscope;
using nlohmann::json;

namespace {

const KernelVersion kv618 = KernelVersion::parse("6.18.0");

copyscope::Run base_run(const std::string& method, uint64_t size, uint64_t units) {
  copyscope::Run r;
  r.params = {method, size, 64 << 10, "cold", "tcp"};
  r.kernel.release = "6.18.0";
  r.result.ok = true;
  r.result.bytes = size;
  r.result.units = units;
  r.result.duration_ns = 1'000'000'000;
  r.result.extra = json::object();
  return r;
}

const Deviation* find(const Summary& s, const std::string& what) {
  for (const auto& d : s.deviations)
    if (d.what == what) return &d;
  return nullptr;
}

Event fault(uint64_t error_code, uint8_t user = 1) {
  Event e{};
  e.type = CS_EV_FAULT;
  e.role = CS_ROLE_SENDER;
  e.a = user;
  e.arg1 = error_code;
  return e;
}

}  // namespace

TEST(CopyRules, IoUringRequestsCopyLikeTheirSyscalls) {
  EXPECT_EQ(copy_rule({Role::Sender, CS_FLOW_URING_READ, CS_FD_FILE, CS_FD_USER, 1, 4096}, kv618).copies_per_byte, 1);
  EXPECT_EQ(
      copy_rule({Role::Sender, CS_FLOW_URING_READ, CS_FD_FILE_DIRECT, CS_FD_USER, 1, 4096}, kv618).copies_per_byte, 0);
  EXPECT_EQ(copy_rule({Role::Sender, CS_FLOW_URING_WRITE, CS_FD_USER, CS_FD_TCP, 1, 4096}, kv618).copies_per_byte, 1);
  EXPECT_EQ(copy_rule({Role::Sender, CS_FLOW_URING_WRITE, CS_FD_USER, CS_FD_CHAR, 1, 4096}, kv618).copies_per_byte, 0);
  EXPECT_EQ(flow_name(CS_FLOW_URING_SEND_ZC), "io_uring:send_zc");
  EXPECT_EQ(flow_name(CS_SYS_SPLICE), "splice");
}

TEST(CopyRules, SpliceAndTeeMoveReferences) {
  EXPECT_EQ(copy_rule({Role::Sender, CS_SYS_SPLICE, CS_FD_FILE, CS_FD_PIPE, 1, 1}, kv618).copies_per_byte, 0);
  EXPECT_EQ(copy_rule({Role::Sender, CS_SYS_SPLICE, CS_FD_PIPE, CS_FD_TCP, 1, 1}, kv618).copies_per_byte, 0);
  EXPECT_EQ(copy_rule({Role::Sender, CS_SYS_TEE, CS_FD_PIPE, CS_FD_PIPE, 1, 1}, kv618).copies_per_byte, 0);
  EXPECT_EQ(copy_rule({Role::Sender, CS_SYS_VMSPLICE, CS_FD_USER, CS_FD_PIPE, 1, 1}, kv618).copies_per_byte, 0);
}

TEST(CopyRules, ZeroCopyCompletionsDecide) {
  const Flow send{Role::Sender, CS_SYS_SENDTO, CS_FD_USER, CS_FD_TCP, 8, 8 << 16};
  // Without zero-copy facts a send copies.
  EXPECT_EQ(copy_rule(send, kv618, json::object()).copies_per_byte, 1);
  json copied = {{"zerocopy_api", "MSG_ZEROCOPY"}, {"zerocopy_sends", 8}, {"zerocopy_copied", 8}};
  CopyRule r = copy_rule(send, kv618, copied);
  EXPECT_EQ(r.copies_per_byte, 1);
  EXPECT_NE(r.why.find("SO_EE_CODE_ZEROCOPY_COPIED"), std::string::npos);
  json clean = {{"zerocopy_api", "MSG_ZEROCOPY"}, {"zerocopy_sends", 8}, {"zerocopy_copied", 0}};
  EXPECT_EQ(copy_rule(send, kv618, clean).copies_per_byte, 0);
  const Flow zc{Role::Sender, CS_FLOW_URING_SEND_ZC, CS_FD_USER, CS_FD_TCP, 8, 8 << 16};
  EXPECT_EQ(copy_rule(zc, kv618).copies_per_byte, 0);
  json uring = {{"zerocopy_api", "IORING_OP_SEND_ZC"}, {"zerocopy_sends", 4}, {"zerocopy_copied", 2}};
  EXPECT_DOUBLE_EQ(copy_rule(zc, kv618, uring).copies_per_byte, 0.5);
}

TEST(CopyOnWrite, WriteFaultsOnPresentPagesArePageCopies) {
  copyscope::Run r = base_run("cow_fork", 3 * 4096, 3);
  r.result.extra = {
      {"copy_on_write", true}, {"page_size", 4096}, {"pages_written", 3}, {"parent_data_unchanged", true}};
  r.events = {fault(0x7),   fault(0x7), fault(0x7), fault(0x6) /* not present: no copy */, fault(0x4) /* read */,
              fault(0x3, 0) /* kernel-mode fault */};
  r.counters[CS_ROLE_SENDER].page_faults_user = 5;
  TextbookMethod tb;
  tb.expect.cpu_copies = 1;
  Summary s = summarize(r, &tb);
  EXPECT_EQ(s.counters.cow_faults, 3u);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 3u * 4096);
  EXPECT_DOUBLE_EQ(s.per_call.cpu_copies, 1.0);
  const Deviation* d = find(s, "page_copies");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->why.en.find("MADV_NOHUGEPAGE"), std::string::npos);
  EXPECT_NE(d->why.en.find("unchanged"), std::string::npos);
}

TEST(CopyOnWrite, OnlyACowScenarioCountsThemAsTransferCopies) {
  copyscope::Run r = base_run("splice", 1 << 20, 16);
  r.flows.push_back({Role::Sender, CS_SYS_SPLICE, CS_FD_FILE, CS_FD_PIPE, 16, 1 << 20});
  r.events = {fault(0x7)};
  Summary s = summarize(r, nullptr);
  EXPECT_EQ(s.counters.cow_faults, 1u);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 0u);
}

TEST(TeachingNotes, SpliceExplainsItsTwoCalls) {
  copyscope::Run r = base_run("splice", 1 << 20, 16);
  r.counters[CS_ROLE_SENDER].sys_calls[CS_SYS_SPLICE] = 32;
  r.counters[CS_ROLE_SENDER].syscall_enters = r.counters[CS_ROLE_SENDER].syscall_exits = 32;
  Summary s = summarize(r, nullptr);
  const Deviation* d = find(s, "splice_calls_per_chunk");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->measured, 2.0);
  EXPECT_NE(d->why.en.find("pipe"), std::string::npos);
}

TEST(TeachingNotes, SigbusIsTheExpectedOutcome) {
  copyscope::Run r = base_run("mmap_truncate_sigbus", 1 << 20, 128);
  r.result.extra = {{"outcome", "SIGBUS"}, {"explanation", "the child took SIGBUS after the truncation"}};
  Summary s = summarize(r, nullptr);
  const Deviation* d = find(s, "outcome");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->measured, "SIGBUS");
  json j = to_json(s);
  EXPECT_NE(j.dump().find("SIGBUS"), std::string::npos);
  EXPECT_EQ(j["counters"]["cow_faults"], 0);
}

TEST(TeachingNotes, CopyFileRangeWithoutReflinkSaysWhy) {
  copyscope::Run r = base_run("copy_file_range", 1 << 20, 16);
  r.flows.push_back({Role::Sender, CS_SYS_COPY_FILE_RANGE, CS_FD_FILE, CS_FD_FILE, 16, 1 << 20});
  r.result.extra = {{"reflink", {{"supported", false}, {"fs", "ext4"}, {"error", "Operation not supported"}}}};
  Summary s = summarize(r, nullptr);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 1u << 20);
  const Deviation* d = find(s, "reflink");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->why.en.find("ext4"), std::string::npos);
}

TEST(TeachingNotes, IoUringCopiesAppearInTheJson) {
  copyscope::Run r = base_run("io_uring", 1 << 20, 16);
  r.flows.push_back({Role::Sender, CS_FLOW_URING_READ, CS_FD_FILE, CS_FD_USER, 16, 1 << 20});
  r.flows.push_back({Role::Sender, CS_FLOW_URING_WRITE, CS_FD_USER, CS_FD_TCP, 16, 1 << 20});
  r.counters[CS_ROLE_SENDER].sys_calls[CS_SYS_IO_URING_ENTER] = 4;
  Summary s = summarize(r, nullptr);
  EXPECT_EQ(s.counters.cpu_copy_bytes, 2u << 20);
  json j = to_json(s);
  ASSERT_EQ(j["copies"].size(), 2u);
  EXPECT_EQ(j["copies"][0]["syscall"], "io_uring:read");
  ASSERT_NE(find(s, "io_uring_enter_per_chunk"), nullptr);
}
