// Small parameters run, and whatever the run changes is reported: a buffer
// larger than the size is clamped to it, a splice chunk is capped by the
// pipe's capacity, and each change appears in "scenario"."clamps".
#include "support.h"

using nlohmann::json;

namespace {

// The clamp of `what` that ended at `used`, or null.
const json* clamp(const json& run, const std::string& what, uint64_t used) {
  if (!run.contains("scenario") || !run["scenario"].contains("clamps")) return nullptr;
  for (const json& c : run["scenario"]["clamps"])
    if (c.value("what", "") == what && c.value("used", uint64_t{0}) == used) return &c;
  return nullptr;
}

}  // namespace

TEST(SmallParams, ReadWriteOfOneByteClampsTheBuffer) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run read_write --size 1");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 1u);
  EXPECT_EQ(j["sink"]["received_bytes"].get<uint64_t>(), 1u);
  EXPECT_EQ(j["params"]["buffer"].get<uint64_t>(), 1u);
  const json* c = clamp(j, "buffer", 1);
  ASSERT_NE(c, nullptr) << j["scenario"].dump();
  EXPECT_EQ((*c)["requested"].get<uint64_t>(), 64u << 10);
  EXPECT_FALSE((*c)["why"].get<std::string>().empty());
}

TEST(SmallParams, SpliceToNullRuns) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run splice --sink null --size 1");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["params"]["sink"], "null");
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 1u);
  const json* c = clamp(j, "buffer", 1);
  ASSERT_NE(c, nullptr) << j["scenario"].dump();
  EXPECT_EQ((*c)["requested"].get<uint64_t>(), 64u << 10);
  EXPECT_GE(j["counters"]["syscalls"].value("splice", uint64_t{0}), 2u);
}

// A chunk larger than the pipe can be made (64 MiB is the most copyscope asks
// for; without CAP_SYS_RESOURCE fs.pipe-max-size) is capped, and says so.
TEST(SmallParams, SpliceChunkCappedByThePipeIsReported) {
  REQUIRE_LIVE_CAPTURE();
  constexpr uint64_t kSize = 65ull << 20;
  json j = run_json("run splice --sink null --size 65M --buffer 65M --cache warm");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["bytes"].get<uint64_t>(), kSize);
  const uint64_t cap = j["scenario"].value("pipe_capacity", uint64_t{0});
  ASSERT_GT(cap, 0u);
  ASSERT_LT(cap, kSize);
  const json* c = clamp(j, "buffer", cap);
  ASSERT_NE(c, nullptr) << j["scenario"].dump();
  EXPECT_EQ((*c)["requested"].get<uint64_t>(), kSize);
}

TEST(SmallParams, EveryByteArrivesForOneByteFiles) {
  REQUIRE_LIVE_CAPTURE();
  for (const char* m : {"sendfile", "mmap_write", "direct_io", "io_uring", "vmsplice", "tee", "copy_file_range"}) {
    json j = run_json(std::string("run ") + m + " --size 1");
    ASSERT_TRUE(j.is_object()) << m;
    EXPECT_EQ(j["bytes"].get<uint64_t>(), 1u) << m;
    EXPECT_NE(clamp(j, "buffer", 1), nullptr) << m << " " << j["scenario"].dump();
  }
}

// A mapping is whole pages: one byte of file maps a page.
TEST(SmallParams, MmapOfOneByteMapsAPage) {
  REQUIRE_LIVE_CAPTURE();
  json j = run_json("run mmap_write --size 1");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["scenario"]["file_bytes"].get<uint64_t>(), 1u);
  EXPECT_EQ(j["scenario"]["mapped_bytes"].get<uint64_t>(), j["scenario"]["page_size"].get<uint64_t>());
}
