// The event log's storage: large blocks are lazily backed mappings, a capture's
// reservation costs address space, not memory, and the log keeps its contents
// across growth and reservation.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

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

// Pages [first, first + count) of the mapping at p that are resident.
size_t resident_pages(const void* p, size_t first, size_t count) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec(count);
  const auto* at = static_cast<const char*>(p) + first * page;
  if (mincore(const_cast<char*>(at), count * page, vec.data())) return 0;
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(EventLog, ReservationFaultsInOnlyThePartAskedFor) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t per_huge = copyscope::bulk::kHugePage / page;
  const size_t events = 8 * copyscope::bulk::kHugePage / sizeof(Event);
  const size_t prefault = copyscope::bulk::kHugePage / sizeof(Event) + 10;  // into the second huge page
  copyscope::LiveRun live;
  live.reserve(events, prefault);
  live.with_run([&](copyscope::Run& r) {
    ASSERT_GE(r.events.capacity(), events);
    ASSERT_TRUE(r.events.empty());
    const void* base = r.events.data();
    const size_t pages = (prefault * sizeof(Event) + page - 1) / page;
    EXPECT_EQ(resident_pages(base, 0, pages), pages);
    // Four huge pages on: never written, so not memory (a whole huge page at most is faulted per touch).
    EXPECT_EQ(resident_pages(base, 4 * per_huge, per_huge), 0u);
    const auto* bytes = static_cast<const unsigned char*>(base);
    for (size_t at = 0; at < prefault * sizeof(Event); at += page / 2) ASSERT_EQ(bytes[at], 0) << "byte " << at;
  });
  std::vector<Event> batch(prefault + 5);
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = event_at(i);
  live.append(batch);
  live.with_run([&](copyscope::Run& r) {
    ASSERT_EQ(r.events.size(), batch.size());
    EXPECT_EQ(r.events[prefault + 4].arg0, ~uint64_t(prefault + 4));
  });
}

TEST(EventLog, PrefaultLeavesDataAsItWas) {
  // Heap storage, not page-aligned, holding data: the data stays as it was.
  std::vector<unsigned char> buf(3 * 4096 + 100);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<unsigned char>(i * 31 + 7);
  copyscope::bulk::prefault(buf.data() + 50, 2 * 4096);
  copyscope::bulk::prefault(nullptr, 4096);  // nothing to do
  for (size_t i = 0; i < buf.size(); ++i) ASSERT_EQ(buf[i], static_cast<unsigned char>(i * 31 + 7)) << "byte " << i;
}

// Appends grow the log without zeroing it first: every event must still come
// out as it went in, batch after batch, and an empty batch adds nothing.
TEST(EventLog, LiveAppendsKeepEveryBatchExactly) {
  copyscope::LiveRun live;
  EXPECT_EQ(live.last_append_ns(), 0u);
  live.reserve(4096);
  uint64_t next = 0;
  for (size_t n : {size_t{1}, size_t{0}, size_t{37}, size_t{1000}, size_t{16}}) {
    EventLog batch;
    for (size_t i = 0; i < n; ++i) batch.push_back(event_at(next++));
    live.append(batch);
  }
  EXPECT_EQ(live.received(), next);
  EXPECT_GT(live.last_append_ns(), 0u);
  live.with_run([&](copyscope::Run& r) {
    ASSERT_EQ(r.events.size(), next);
    for (uint64_t i = 0; i < next; ++i) {
      const Event want = event_at(i);
      ASSERT_EQ(std::memcmp(&r.events[i], &want, sizeof want), 0) << "event " << i;
    }
  });
}

}  // namespace
