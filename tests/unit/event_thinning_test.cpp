// The event log past its memory budget (issue 23): it keeps the events of one
// 1 ms window in 2, 4, ... (Run::event_stride) and folds the others into
// Run::thinned, so every figure a summary gives stays what the whole log gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "export/trace.h"
#include "model/live_run.h"
#include "model/textbook.h"
#include "recordings.h"

using namespace copyscope;
using nlohmann::json;

namespace {

// `r` captured again through a LiveRun holding at most `budget` events.
copyscope::Run thinned_copy(const Run& r, size_t budget) {
  copyscope::Run t = r;
  t.events.clear();
  LiveRun live;
  live.set_budget(budget, r.params.sink);
  for (size_t i = 0; i < r.events.size(); i += 64) {
    EventLog batch;
    append_events(batch, r.events.data() + i, std::min<size_t>(64, r.events.size() - i));
    live.append(batch);
  }
  live.take_log(t);
  sort_events(t.events);
  return t;
}

// A summary's figures, without what says how much of the log was kept.
json figures(const Summary& s) {
  json j = to_json(s);
  j.erase("event_log");
  j.erase("notes");
  return j;
}

const TextbookMethod* textbook(const Run& r) { return Textbook::builtin().find(r.params.method); }

}  // namespace

TEST(EventThinning, EveryRecordingSummarizesAlikeWithAQuarterOfItsEvents) {
  const std::vector<std::string> paths = recordings();
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    const copyscope::Run full = load_trace(path);
    const size_t budget = std::max<size_t>(full.events.size() / 4, 1);
    const copyscope::Run t = thinned_copy(full, budget);
    EXPECT_GT(t.event_stride, 1u) << path;
    EXPECT_LE(t.events.size(), budget) << path;
    EXPECT_EQ(t.events.size() + t.thinned.events, full.events.size()) << path;
    for (const Event& e : t.events) ASSERT_TRUE(kept_at_stride(e, t.event_stride)) << path;
    const Summary a = summarize(full, textbook(full)), b = summarize(t, textbook(t));
    EXPECT_EQ(figures(a), figures(b)) << path;
    EXPECT_EQ(b.event_stride, t.event_stride);
    EXPECT_EQ(b.events_thinned, t.thinned.events);
    const std::string said = "1 ms window in " + std::to_string(t.event_stride);
    EXPECT_TRUE(std::any_of(b.notes.begin(), b.notes.end(),
                            [&](const copyscope::Text& n) { return n.en.find(said) != std::string::npos; }))
        << path;
    // While a run goes on, its counts come from the events alone: the same too.
    copyscope::Run live_full = full, live_t = t;
    EXPECT_EQ(figures(summarize_live(live_full, textbook(full))), figures(summarize_live(live_t, textbook(t))))
        << path;
  }
}

TEST(EventThinning, ATraceOfAThinnedRunReopensWithTheSameSummary) {
  const copyscope::Run full = load_trace(recordings().front());
  const copyscope::Run t = thinned_copy(full, std::max<size_t>(full.events.size() / 8, 1));
  ASSERT_GT(t.event_stride, 1u);
  const Summary s = summarize(t, textbook(t));
  const copyscope::Run back = trace_from_text(trace_to_json(t, s).dump());
  EXPECT_EQ(back.event_stride, t.event_stride);
  EXPECT_EQ(back.events.size(), t.events.size());
  EXPECT_EQ(to_json(summarize(back, textbook(back))), to_json(s));
}

TEST(EventThinning, ATraceWhoseEventsDisagreeWithItsStrideIsRefused) {
  const copyscope::Run full = load_trace(recordings().front());
  const copyscope::Run t = thinned_copy(full, std::max<size_t>(full.events.size() / 8, 1));
  ASSERT_GT(t.event_stride, 1u);
  json doc = trace_to_json(t, summarize(t, textbook(t)));
  json bad_stride = doc;
  bad_stride["copyscope"]["run"]["event_stride"] = 3;
  EXPECT_THROW(trace_from_text(bad_stride.dump()), TraceFileError);
  // Every window kept at half the stride: some events lie where the stride leaves none.
  const copyscope::Run half = thinned_copy(full, std::max<size_t>(full.events.size() / 2 + 1, 1));
  if (half.event_stride < t.event_stride) {
    json more = trace_to_json(half, summarize(half, textbook(half)));
    more["copyscope"]["run"]["event_stride"] = t.event_stride;
    more["copyscope"]["run"]["thinned"] = doc["copyscope"]["run"]["thinned"];
    EXPECT_THROW(trace_from_text(more.dump()), TraceFileError);
  }
  json no_fold = doc;
  no_fold["copyscope"]["run"].erase("thinned");
  EXPECT_THROW(trace_from_text(no_fold.dump()), TraceFileError);
}

TEST(EventThinning, TheLogNeverHoldsMoreThanItsBudget) {
  LiveRun live;
  constexpr size_t kBudget = 5000;
  live.set_budget(kBudget, "tcp");
  uint64_t generation = live.generation();
  for (uint64_t i = 0; i < 400; ++i) {  // 400 batches of 1000 events, 20 µs apart: 8 s
    EventLog batch(1000);
    for (uint64_t k = 0; k < batch.size(); ++k) {
      Event& e = batch[k];
      e = Event{};
      e.ts = (i * 1000 + k) * 20'000;
      e.type = CS_EV_SYSCALL;
      e.role = CS_ROLE_SENDER;
      e.sys = CS_SYS_WRITE;
      e.ret = 1;
    }
    live.append(batch);
    live.with_run([&](copyscope::Run& r) { ASSERT_LE(r.events.size(), kBudget); });
  }
  EXPECT_GT(live.generation(), generation);
  live.with_run([](copyscope::Run& r) {
    EXPECT_EQ(r.events.size() + r.thinned.events, 400'000u);
    EXPECT_EQ(r.event_stride & (r.event_stride - 1), 0u);
    EXPECT_GE(r.events.size(), kBudget / 4);  // thinned, not emptied
    EXPECT_EQ(tally_events(r).sender.sys_calls[CS_SYS_WRITE], 400'000u);
  });
}
