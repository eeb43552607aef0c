// The event log's storage: large blocks are lazily backed mappings, a capture's
// reservation costs address space, not memory, and the log keeps its contents
// across growth and reservation.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "model/live_run.h"
#include "model/run.h"

namespace {

using copyscope::Event;
using copyscope::EventLog;

long resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

Event event_at(uint64_t i) {
  Event e{};
  e.ts = i;
  e.tid = static_cast<uint32_t>(i * 7);
  e.arg0 = ~i;
  return e;
}

TEST(EventLog, KeepsEveryEventAcrossGrowthPastTheHugePageSize) {
  EventLog log;
  const uint64_t n = 3 * (copyscope::bulk::kHugePage / sizeof(Event)) + 11;  // several mapped blocks
  for (uint64_t i = 0; i < n; ++i) log.push_back(event_at(i));
  ASSERT_EQ(log.size(), n);
  for (uint64_t i = 0; i < n; i += 997) {
    EXPECT_EQ(log[i].ts, i);
    EXPECT_EQ(log[i].tid, static_cast<uint32_t>(i * 7));
    EXPECT_EQ(log[i].arg0, ~i);
  }
  EventLog copy = log;  // a copy allocates exactly, through the same allocator
  EXPECT_EQ(copy.size(), n);
  EXPECT_EQ(copy.back().ts, n - 1);
  log.shrink_to_fit();
  EXPECT_EQ(log.back().arg0, ~(n - 1));
}

TEST(EventLog, SmallLogsUseTheHeap) {
  EventLog log(4, event_at(5));  // below the huge-page size: operator new
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log[3].ts, 5u);
}

TEST(EventLog, ACaptureReservationCostsAddressSpaceNotMemory) {
  const long before = resident_kib();
  ASSERT_GT(before, 0);
  copyscope::LiveRun live;
  live.reserve(size_t{1} << 26);  // 3.5 GiB of address space
  std::vector<Event> batch(1000);
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = event_at(i);
  live.append(batch);
  const long after = resident_kib();
  // What became memory is the pages written (one huge page at most), not the reservation.
  EXPECT_LT(after - before, 64 * 1024) << "resident grew from " << before << " to " << after << " KiB";
  live.with_run([](copyscope::Run& r) {
    EXPECT_GE(r.events.capacity(), size_t{1} << 26);
    ASSERT_EQ(r.events.size(), 1000u);
    EXPECT_EQ(r.events[999].ts, 999u);
  });
  EXPECT_EQ(live.received(), 1000u);
}

}  // namespace
