// Issue 7's soak: every method again and again leaves nothing growing.
// CI runs the short version (COPYSCOPE_SOAK_ITERATIONS, default 2); the long one
// is `copyscope bench soak --iterations 10`.
#include <cstdlib>

#include "support.h"

TEST(Soak, RepeatedCompareAllLeavesNothingBehind) {
  REQUIRE_LIVE_CAPTURE();
  const char* env = std::getenv("COPYSCOPE_SOAK_ITERATIONS");
  const int iterations = env ? std::max(2, std::atoi(env)) : 2;
  nlohmann::json rows = run_json("bench soak --size 1M --iterations " + std::to_string(iterations));
  ASSERT_TRUE(rows.is_array());
  ASSERT_EQ(rows.size(), static_cast<size_t>(iterations + 1));
  const auto& before = rows.front();
  const auto& first = rows[1];
  const auto& last = rows.back();
  EXPECT_GE(first["runs"].get<int>(), 2);
  EXPECT_EQ(last["runs"], first["runs"]);
  // Open fds may settle after the first round (libbpf caches BTF): compare rounds.
  EXPECT_EQ(last["open_fds"], first["open_fds"]);
  EXPECT_LE(last["open_fds"].get<int>(), before["open_fds"].get<int>() + 2);
  EXPECT_EQ(last["temp_dirs"], before["temp_dirs"]);
  EXPECT_EQ(last["bpf_progs"], before["bpf_progs"]) << "BPF programs left loaded (or another tracer ran meanwhile)";
  EXPECT_EQ(last["bpf_maps"], before["bpf_maps"]);
  EXPECT_LT(last["rss_kib"].get<long>() - first["rss_kib"].get<long>(), 4096) << "resident memory grew";
}
