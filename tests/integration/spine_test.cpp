// Issue 2's facts, on the real kernel with the real BPF programs.
#include <algorithm>
#include <vector>

#include "support.h"

using nlohmann::json;

namespace {

constexpr uint64_t kSize = 32ull << 20;

const json* deviation(const json& j, const std::string& what) {
  for (const auto& d : j["deviations"])
    if (d["what"] == what) return &d;
  return nullptr;
}

}  // namespace

TEST(Spine, ReadWriteColdCache) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run read_write --size 32M --buffer 64K --cache cold");
  ASSERT_TRUE(j.is_object());
  const json& c = j["counters"];
  const uint64_t reads = c["syscalls"].value("read", 0ull);
  EXPECT_TRUE(reads == 512 || reads == 513) << reads;
  EXPECT_EQ(c["syscalls"].value("write", 0ull), 512u);
  EXPECT_EQ(c["cpu_copy_bytes"].get<uint64_t>(), 2 * kSize);
  EXPECT_EQ(j["kernel"]["copy_accounting"], "attributed");
  EXPECT_GE(c["dma_bytes"].get<uint64_t>(), kSize * 9 / 10);
  EXPECT_GE(c["mode_switches"].get<uint64_t>(), 2 * (reads + 512));
  EXPECT_EQ(j["per_call"]["mode_switches"], 4);
  EXPECT_EQ(j["per_call"]["cpu_copies"], 2);
  EXPECT_EQ(j["textbook"]["mode_switches"], 4);
  EXPECT_EQ(j["textbook"]["cpu_copies"], 2);
  EXPECT_EQ(j["textbook"]["dma_copies"], 2);
  EXPECT_EQ(c["events_dropped"], 0);
  EXPECT_GT(c["events_captured"].get<uint64_t>(), 1024u);
  // Loopback: no NIC. The software hand-off is never counted as DMA.
  EXPECT_EQ(c["nic_dma_bytes"], 0);
  EXPECT_LT(c["dma_bytes"].get<uint64_t>(), kSize * 11 / 10);
  if (j["per_call"]["dma_copies"] != 2) {
    const json* d = deviation(j, "dma_copies");
    ASSERT_NE(d, nullptr);
    EXPECT_NE(d->at("why").get<std::string>().find("loopback"), std::string::npos);
  }
  // The receiver is reported apart, and got everything.
  EXPECT_EQ(j["sink"]["received_bytes"].get<uint64_t>(), kSize);
  EXPECT_GT(j["sink"]["counters"]["syscalls"].value("recvfrom", 0ull), 0u);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), kSize);
}

TEST(Spine, SendfileColdCache) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run sendfile --size 32M --cache cold");
  ASSERT_TRUE(j.is_object());
  const json& sys = j["counters"]["syscalls"];
  EXPECT_FALSE(sys.contains("read"));
  EXPECT_FALSE(sys.contains("write"));
  EXPECT_GE(sys.value("sendfile", 0ull), 1u);
  EXPECT_EQ(j["per_call"]["mode_switches"], 2);
  EXPECT_GE(j["counters"]["dma_bytes"].get<uint64_t>(), kSize * 9 / 10);
  EXPECT_EQ(j["counters"]["events_dropped"], 0);
  // Loopback does scatter-gather, so the kernel did the articles' SG-DMA row:
  // page references to the socket, no CPU copy, and nothing to explain away.
  if (j["kernel"].value("nic_sg", -1) == 1) {
    EXPECT_EQ(j["textbook"]["row"], "sg_gather");
    EXPECT_EQ(deviation(j, "cpu_copies"), nullptr);
    EXPECT_EQ(j["counters"]["cpu_copy_bytes"], 0);
    uint64_t page_ref = 0;
    for (const json& st : j["stages"])
      if (st["kind"] == "page_ref") page_ref += st["bytes"].get<uint64_t>();
    EXPECT_EQ(page_ref, kSize);
  } else {
    const json* d = deviation(j, "cpu_copies");
    ASSERT_NE(d, nullptr) << "without scatter-gather the 1-copy row needs an explanation";
    EXPECT_FALSE(d->at("why").get<std::string>().empty());
  }
  EXPECT_EQ(j["sink"]["received_bytes"].get<uint64_t>(), kSize);
}

TEST(Spine, WarmCacheHasNoDiskDma) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run read_write --size 8M --buffer 64K --cache warm");
  ASSERT_TRUE(j.is_object());
  EXPECT_LT(j["counters"]["disk_dma_bytes"].get<uint64_t>(), (8ull << 20) / 10);
  EXPECT_EQ(j["counters"]["page_cache_adds"], 0);
}

TEST(Spine, CompareJsonIsAnArrayOfRuns) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("compare read_write sendfile --size 4M");
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["method"], "read_write");
  EXPECT_EQ(j[1]["method"], "sendfile");
}

// Issue 8: every copy routine's fentry and kprobe are listed with a status and
// why; "measured" only when each routine this kernel has is hooked.
TEST(Spine, CopyHooksAreListedWithReasons) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run read_write --size 4M");
  ASSERT_TRUE(j.is_object());
  const json& k = j["kernel"];
  const std::string accounting = k["copy_accounting"];
  ASSERT_TRUE(accounting == "measured" || accounting == "attributed") << accounting;
  EXPECT_FALSE(k["copy_accounting_why"].get<std::string>().empty());
  size_t sites_here = 0, sites_hooked = 0;
  const std::vector<std::string> sites = {"filemap_read",     "shmem_file_read_iter",   "generic_perform_write",
                                          "pipe_read",        "pipe_write",             "anon_pipe_read",
                                          "anon_pipe_write",  "tcp_sendmsg_locked",     "skb_copy_datagram_iter",
                                          "skb_copy_datagram_from_iter"};
  std::vector<std::string> all = {"_copy_to_iter", "_copy_from_iter", "_copy_from_iter_nocache", "copy_page_to_iter",
                                  "copy_page_from_iter", "copy_page_from_iter_atomic", "copy_folio_from_iter_atomic",
                                  "csum_and_copy_to_iter", "csum_and_copy_from_iter", "_copy_to_user",
                                  "_copy_from_user"};
  all.insert(all.end(), sites.begin(), sites.end());
  for (const std::string& r : all) {
    const json* fe = nullptr;
    const json* kp = nullptr;
    for (const json& h : k["hooks"]) {
      if (h["name"] == "fentry/" + r) fe = &h;
      if (h["name"] == "kprobe/" + r) kp = &h;
    }
    ASSERT_NE(fe, nullptr) << r;
    ASSERT_NE(kp, nullptr) << r;
    for (const json* h : {fe, kp}) {
      const std::string st = (*h)["status"];
      EXPECT_TRUE(st == "attached" || st == "available" || st == "refused" || st == "unavailable") << st;
      EXPECT_FALSE((*h)["detail"].get<std::string>().empty()) << (*h)["name"];
    }
    const bool absent = (*fe)["detail"].get<std::string>().find("not a function in this kernel") != std::string::npos;
    const bool site = std::find(sites.begin(), sites.end(), r) != sites.end();
    sites_here += site && !absent;
    sites_hooked += site && ((*fe)["status"] == "attached" || (*kp)["status"] == "attached");
    EXPECT_FALSE((*fe)["status"] == "attached" && (*kp)["status"] == "attached") << r << ": one hook per routine";
  }
  if (accounting == "measured") {
    EXPECT_EQ(sites_hooked, sites_here);
    EXPECT_TRUE(j["counters"].contains("measured_copy_bytes"));
  } else {
    EXPECT_LT(sites_hooked, sites_here);
    EXPECT_TRUE(j["copies_measured"].empty());
    EXPECT_FALSE(j["counters"].contains("measured_copy_bytes"));
    EXPECT_EQ(j["counters"]["cpu_copy_bytes"], j["counters"]["attributed_cpu_copy_bytes"]);
  }
}
