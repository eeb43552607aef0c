// The streaming trace reader (export/trace_load.cpp): what it loads equals what
// was exported, whatever the member order or spacing, and what is not JSON is
// rejected with a reason rather than half-read.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "../integration/support.h"
#include "export/trace.h"
#include "model/synthetic.h"

using namespace copyscope;
using nlohmann::json;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("copyscope-load-" + std::to_string(getpid()) + "-" + name))
      .string();
}

void expect_same_events(const Run& a, const Run& b) {
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i)
    ASSERT_EQ(std::memcmp(&a.events[i], &b.events[i], sizeof(Event)), 0) << "event " << i;
}

std::string trace_text(const Run& r) { return trace_to_json(r, summarize(r, nullptr)).dump(); }

std::string rejection(const std::string& text) {
  try {
    trace_from_text(text);
  } catch (const TraceFileError& e) {
    return e.what();
  }
  return "(accepted)";
}

Event event(uint8_t type, uint64_t ts) {
  Event e{};
  e.type = type;
  e.ts = ts;
  e.tgid = e.tid = 42;
  return e;
}

}  // namespace

TEST(TraceLoad, ASyntheticRunComesBackEventForEvent) {
  const copyscope::Run r = make_synthetic_run(50'000);
  const std::string path = temp_path("synthetic.json");
  write_trace(r, summarize(r, nullptr), path);
  const copyscope::Run back = load_trace(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back.params.method, r.params.method);
  EXPECT_EQ(back.counters, r.counters);
  EXPECT_EQ(back.flows, r.flows);
  expect_same_events(r, back);
}

TEST(TraceLoad, ExtremeValuesSurvive) {
  copyscope::Run r = make_synthetic_run(200);
  Event big = event(CS_EV_FAULT, UINT64_MAX);
  big.arg0 = UINT64_MAX;
  big.ret = INT64_MIN;
  big.tgid = big.tid = UINT32_MAX;
  big.cpu = UINT16_MAX;
  big.sys = UINT16_MAX;  // not a syscall event: kept as written
  big.a = big.b = 255;
  Event pos = event(CS_EV_SYSCALL, 5);
  pos.sys = CS_SYS_SENDFILE;
  pos.a = CS_FD_FILE;
  pos.b = CS_FD_TCP;
  pos.ret = INT64_MAX;
  pos.dur = UINT64_MAX - 5;
  r.events.push_back(big);
  r.events.push_back(pos);
  expect_same_events(r, trace_from_text(trace_text(r)));
}

TEST(TraceLoad, MemberOrderSpacingAndEscapedNamesDoNotMatter) {
  const copyscope::Run r = make_synthetic_run(3'000);
  const json doc = json::parse(trace_text(r));
  // traceEvents first, copyscope's members in reverse order, pretty-printed,
  // and "copyscope" and "events" spelled with escapes.
  std::string text = "{\n  \"traceEvents\" : " + doc["traceEvents"].dump(2) + " ,\n  \"copy\\u0073cope\" :\t{";
  const json& cs = doc["copyscope"];
  bool first = true;
  for (auto it = cs.rbegin(); it != cs.rend(); ++it) {
    const std::string key = it.key() == "events" ? "\\u0065vents" : it.key();
    text += std::string(first ? "" : ",") + "\r\n \"" + key + "\": " + it.value().dump(1);
    first = false;
  }
  text += "},\n \"zzz\": [null, true, false, -1.5e-3, {\"a\": []}]\n}\n";
  const copyscope::Run back = trace_from_text(text);
  expect_same_events(r, back);
  EXPECT_EQ(back.thread_names, r.thread_names);
}

TEST(TraceLoad, TheLastCopyscopeMemberWins) {
  const copyscope::Run r = make_synthetic_run(500);
  const std::string good = trace_text(r);
  const std::string text = "{\"copyscope\": {\"format\": 99}, " + good.substr(1);
  expect_same_events(r, trace_from_text(text));
}

TEST(TraceLoad, WhatIsNotJsonIsRejectedWhereverItIs) {
  const std::string good = trace_text(make_synthetic_run(500));
  const size_t te = good.find("\"traceEvents\"");
  ASSERT_NE(te, std::string::npos);
  auto in_trace_events = [&](const std::string& junk) {
    std::string t = good;
    t.insert(te, "\"junk\": " + junk + ", ");
    return t;
  };
  EXPECT_NE(rejection(in_trace_events("\"\xff\xfe\"")).find("not JSON"), std::string::npos);      // not UTF-8
  EXPECT_NE(rejection(in_trace_events("\"\xed\xa0\x80\"")).find("not JSON"), std::string::npos);  // a surrogate
  EXPECT_NE(rejection(in_trace_events("\"a\tb\"")).find("not JSON"), std::string::npos);          // raw control
  EXPECT_NE(rejection(in_trace_events("\"\\x41\"")).find("not JSON"), std::string::npos);         // bad escape
  EXPECT_NE(rejection(in_trace_events("01")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(in_trace_events("1.")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(in_trace_events("tru")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(in_trace_events("[1 2]")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(in_trace_events("{\"a\" 1}")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(in_trace_events("[1,]")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(good + "x").find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(good + "{}").find("not JSON"), std::string::npos);
  // Valid but unusual: accepted.
  EXPECT_EQ(rejection(in_trace_events("\"caf\xc3\xa9 \xe6\x96\x87 \xf0\x9f\x93\x80 \\ud83d\\udcc0 \\\" \\n\"")),
            "(accepted)");
  // Nesting is bounded (64) wherever it is: no trace copyscope writes comes near it.
  EXPECT_EQ(rejection(in_trace_events(std::string(60, '[') + std::string(60, ']'))), "(accepted)");
  EXPECT_NE(rejection(in_trace_events(std::string(200'000, '[') + std::string(200'000, ']'))).find("nested deeper"),
            std::string::npos);
  EXPECT_NE(rejection(std::string(200'000, '[')).find("nested deeper"), std::string::npos);
}

TEST(TraceLoad, EventValuesOutOfRangeNameTheRowAndField) {
  const json doc = json::parse(trace_text(make_synthetic_run(500)));
  auto with = [&](size_t col, const std::string& value) {
    json d = doc;
    d["copyscope"]["events"][3][col] = 0;
    std::string text = d.dump();
    // Put the raw token in place of row 3's value, so the number is exactly as given.
    const std::string row = d["copyscope"]["events"][3].dump();
    json cells = d["copyscope"]["events"][3];
    std::string edited = "[";
    for (size_t i = 0; i < cells.size(); ++i) edited += (i ? "," : "") + (i == col ? value : cells[i].dump());
    edited += "]";
    const size_t at = text.find(row, text.find("\"events\""));
    text.replace(at, row.size(), edited);
    return rejection(text);
  };
  EXPECT_NE(with(0, "18446744073709551616").find("events[3].ts"), std::string::npos);  // 2^64
  EXPECT_NE(with(0, "1e3").find("events[3].ts"), std::string::npos);
  EXPECT_NE(with(1, "-0").find("events[3].dur"), std::string::npos);
  EXPECT_NE(with(5, "4294967296").find("events[3].tgid"), std::string::npos);
  EXPECT_NE(with(4, "-9223372036854775809").find("events[3].ret"), std::string::npos);
  EXPECT_NE(with(4, "\"7\"").find("events[3].ret"), std::string::npos);
  EXPECT_NE(with(8, "null").find("events[3].cpu"), std::string::npos);
  EXPECT_EQ(with(4, "-9223372036854775808"), "(accepted)");
}

TEST(BenchLoad, PrintsEventsSecondsAndBytesPerEvent) {
  const CommandResult r = run_copyscope("bench load --events 20000 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_GE(j.at("events").get<size_t>(), 19'900u);
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  // What the loaded run holds per event: its resident growth, shared out; and
  // a run keeps every event, so never less than the event record itself.
  const double per_event = j.at("rss_growth_bytes").get<double>() / j.at("events").get<double>();
  EXPECT_NEAR(j.at("bytes_per_event").get<double>(), per_event, 0.051);
  EXPECT_GE(j.at("bytes_per_event").get<double>(), static_cast<double>(sizeof(Event)));
  EXPECT_GT(j.at("file_bytes").get<uint64_t>(), 20'000u * 20);
  // The temporary trace is gone.
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    EXPECT_EQ(e.path().filename().string().find("copyscope-bench-load-"), std::string::npos) << e.path();

  const CommandResult bad = run_copyscope("bench load /nonexistent/trace.json", "2>&1");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
}

// Issue 23: traces are untrusted input. Each attack is refused in one line, fast.
namespace {

std::string with_run_value(const std::string& pointer, const std::string& raw) {
  json d = json::parse(trace_text(make_synthetic_run(500)));
  d["copyscope"]["run"][json::json_pointer(pointer)] = "@@RAW@@";
  std::string t = d.dump();
  t.replace(t.find("\"@@RAW@@\""), 9, raw);
  return t;
}

void expect_one_line_refusal(const std::string& text, const std::string& needle) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string why = rejection(text);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(why, "(accepted)");
  EXPECT_NE(why.find(needle), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  EXPECT_EQ(why.find("json.exception"), std::string::npos) << why;
  EXPECT_LT(s, 2.0) << why;
}

}  // namespace

TEST(HostileTrace, DeepNestingIsRefusedQuickly) {
  const std::string deep = std::string(300'000, '[') + std::string(300'000, ']');
  expect_one_line_refusal(with_run_value("/result/extra", deep), "nested deeper than 64");
  expect_one_line_refusal(deep, "nested deeper than 64");
  expect_one_line_refusal("{\"traceEvents\": " + deep + "}", "nested deeper than 64");
}

TEST(HostileTrace, NumbersOutOfRangeAndTypeErrors) {
  expect_one_line_refusal(with_run_value("/params/size", "1e400"), "out of range");
  expect_one_line_refusal(with_run_value("/params/size", "18446744073709551616"), "params.size");
  expect_one_line_refusal(with_run_value("/counters/sender/dma_bytes", "18446744073709551615"),
                          "counters.sender.dma_bytes");
  expect_one_line_refusal(with_run_value("/params/size", "-5"), "params.size");
  expect_one_line_refusal(with_run_value("/params/size", "2.5"), "params.size");
  expect_one_line_refusal(with_run_value("/params/size", "\"big\""), "params.size");
  expect_one_line_refusal(with_run_value("/kernel", "[]"), "kernel");
}

TEST(HostileTrace, AHugeStringIsRefusedFast) {
  expect_one_line_refusal(with_run_value("/kernel/release", "\"" + std::string(100 << 20, 'A') + "\""), "longer than");
  expect_one_line_refusal(with_run_value("/kernel/release", "\"" + std::string(5000, 'A') + "\""), "kernel.release");
}

TEST(HostileTrace, MethodMustBeInTheTable) {
  expect_one_line_refusal(with_run_value("/params/method", "\"../../../etc/passwd\""), "not a method");
  expect_one_line_refusal(with_run_value("/params/method", "\"\\u001b[31mred\""), "not a method");
  EXPECT_EQ(rejection(with_run_value("/params/method", "\"\\u001b]0;x\\u0007\"")).find('\x1b'), std::string::npos);
}

TEST(HostileTrace, EscapeSequencesAreSanitized) {
  copyscope::Run r = make_synthetic_run(500);
  r.thread_names[42] =
      "\x1b]0;pwned\x07\x1b[31mred\x1b[0m\x7f\xc2\x9b"
      "2J";
  r.kernel.release = "6.1\x1b[2J";
  r.kernel.copy_accounting_why = "why\x1b[1mbold\r";
  const copyscope::Run back = trace_from_text(trace_text(r));
  const std::string name = back.thread_names.at(42);
  EXPECT_EQ(name.rfind("red", 0), 0u) << name;
  for (unsigned char c : name) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << name;  // no ESC, DEL or C1 left
  EXPECT_EQ(back.kernel.release, "6.1");
  EXPECT_EQ(back.kernel.copy_accounting_why, "whybold?");
}

TEST(HostileTrace, InconsistentCountersAreRefusedNamingTheField) {
  copyscope::Run r = make_synthetic_run(500);
  json d = json::parse(trace_text(r));
  d["copyscope"]["run"]["counters"]["sender"]["net_xmit_bytes"] = 12345;
  expect_one_line_refusal(d.dump(), "copyscope.summary.counters.dma_bytes");
  d = json::parse(trace_text(r));
  d["copyscope"]["summary"]["stages"][0]["bytes"] = d["copyscope"]["summary"]["stages"][0]["bytes"].get<uint64_t>() + 1;
  const std::string why = rejection(d.dump());
  EXPECT_NE(why.find("copyscope.summary.counters."), std::string::npos) << why;
}

TEST(HostileTrace, EveryRecordingStillLoads) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(COPYSCOPE_SOURCE_ASSETS) + "/recordings"))
    if (e.path().extension() == ".json") {
      EXPECT_NO_THROW(load_trace(e.path().string())) << e.path();
      ++n;
    }
  EXPECT_GT(n, 10u);
}
