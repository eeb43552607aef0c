// copyscope bench pipeline end to end: every event the kernel wrote reaches the
// model, every write is counted, and the untraced ceiling is measured beside it.
#include "support.h"

TEST(Bench, PipelineDeliversEveryEventAndMeasuresTheUntracedCeiling) {
  REQUIRE_LIVE_CAPTURE();
  nlohmann::json j = run_json("bench pipeline --calls 200K --rounds 2");
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j["calls"], 204800);
  EXPECT_EQ(j["rounds"], 2);
  // One event per write, plus the phase markers and the producer's exit.
  EXPECT_GE(j["events_per_round"].get<uint64_t>(), 204800u);
  EXPECT_EQ(j["events_delivered"], j["events_captured"]);
  EXPECT_EQ(j["events_dropped"], 0);
  ASSERT_EQ(j["per_round"].size(), 2u);
  for (const auto& r : j["per_round"]) {
    EXPECT_EQ(r["writes_counted"], 204800) << r.dump();
    EXPECT_GT(r["untraced_calls_per_s"].get<double>(), 0) << r.dump();
  }
  const double traced = j["events_per_s"], untraced = j["untraced_calls_per_s"];
  EXPECT_GT(traced, 0);
  EXPECT_GT(untraced, 0);
  // of_untraced is their ratio as printed, not a figure of its own.
  EXPECT_NEAR(j["of_untraced"].get<double>(), traced / untraced, 0.002);
  EXPECT_GT(j["consumer_capacity_events_per_s"].get<double>(), 0);
}

TEST(Bench, PipelineRejectsBadCalls) {
  for (const char* args : {"bench pipeline --calls 0", "bench pipeline --calls lots", "bench pipeline --rounds 0"}) {
    CommandResult r = run_copyscope_stderr(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.out.find("copyscope"), std::string::npos) << args << ": " << r.out;
  }
}

TEST(Bench, OverheadRowsCarryThroughputAndCpuRatios) {
  REQUIRE_LIVE_CAPTURE();
  nlohmann::json rows = run_json("bench overhead --size 16M --pairs 1");
  ASSERT_TRUE(rows.is_array()) << rows.dump();
  ASSERT_EQ(rows.size(), 3u);
  const std::pair<const char*, uint64_t> expected[] = {
      {"read_write", 4096}, {"read_write", 65536}, {"sendfile", 65536}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    EXPECT_EQ(r["method"], expected[i].first) << r.dump();
    EXPECT_EQ(r["buffer"], expected[i].second) << r.dump();
    EXPECT_GT(r["untraced_mib_s"].get<double>(), 0) << r.dump();
    EXPECT_GT(r["traced_mib_s"].get<double>(), 0) << r.dump();
    // One pair: the ratios are exactly that pair's, so they follow from the figures.
    EXPECT_NEAR(r["ratio"].get<double>(), r["traced_mib_s"].get<double>() / r["untraced_mib_s"].get<double>(), 0.01)
        << r.dump();
    EXPECT_EQ(r["ratio_min"], r["ratio_max"]) << r.dump();  // one pair
    EXPECT_NEAR(r["ratio_min"].get<double>(), r["ratio"].get<double>(), 0.001) << r.dump();
    // Tracing adds work: the traced side cannot use much less CPU per byte.
    EXPECT_GT(r["cpu_ratio"].get<double>(), 0.2) << r.dump();
    EXPECT_LT(r["cpu_ratio"].get<double>(), 1.5) << r.dump();
    EXPECT_GT(r["events_per_run"].get<uint64_t>(), 0u) << r.dump();
    EXPECT_EQ(r["events_dropped"], 0) << r.dump();
    // By default everything runs on one CPU, and the syscall events say it did.
    EXPECT_EQ(r["placement"], "one-cpu") << r.dump();
    ASSERT_TRUE(r["cpu"].is_number_unsigned()) << r.dump();
    EXPECT_EQ(r["syscall_cpus"], nlohmann::json::array({r["cpu"]})) << r.dump();
  }
}

TEST(Bench, OverheadLetsTheSchedulerPlaceTheRunsWhenAsked) {
  REQUIRE_LIVE_CAPTURE();
  nlohmann::json rows = run_json("bench overhead --size 16M --pairs 1 --placement os");
  ASSERT_TRUE(rows.is_array()) << rows.dump();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    EXPECT_EQ(r["placement"], "os") << r.dump();
    EXPECT_FALSE(r.contains("cpu")) << r.dump();
    EXPECT_FALSE(r["syscall_cpus"].empty()) << r.dump();
    EXPECT_EQ(r["events_dropped"], 0) << r.dump();
  }
}

TEST(Bench, OverheadRejectsBadOptions) {
  for (const char* args :
       {"bench overhead --placement spread", "bench overhead --pairs 0", "bench overhead --size x"}) {
    CommandResult r = run_copyscope_stderr(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.out.find("copyscope"), std::string::npos) << args << ": " << r.out;
  }
}
