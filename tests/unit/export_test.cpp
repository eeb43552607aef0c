// Export and replay without BPF: Run <-> JSON, the trace format and its
// validator, hostile trace files, CSV. Every test builds its own synthetic run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "export/csv.h"
#include "export/trace.h"
#include "model/run_json.h"
#include "model/stages.h"

using namespace copyscope;
using nlohmann::json;

namespace {

Event ev(uint8_t type, uint64_t ts, uint64_t dur, uint32_t tid, uint8_t role = CS_ROLE_SENDER) {
  Event e{};
  e.type = type;
  e.ts = ts;
  e.dur = dur;
  e.tgid = role == CS_ROLE_SENDER ? 100 : 200;
  e.tid = tid;
  e.role = role;
  e.cpu = 1;
  return e;
}

Event sys_ev(uint16_t sys, uint64_t ts, uint64_t dur, uint32_t tid, uint8_t src, uint8_t dst, int64_t ret,
             uint8_t role = CS_ROLE_SENDER) {
  Event e = ev(CS_EV_SYSCALL, ts, dur, tid, role);
  e.sys = sys;
  e.a = src;
  e.b = dst;
  e.ret = ret;
  e.arg1 = 65536;
  return e;
}

// A small read + write run with every field set to something non-default.
copyscope::Run synthetic_run() {
  copyscope::Run r;
  r.params = {"read_write", 4 << 20, 64 << 10, "cold", "tcp"};
  r.kernel.release = "6.18.0-test";
  r.kernel.copy_accounting = "attributed";
  r.kernel.hooks = {{"tracepoint/raw_syscalls/sys_enter", "attached", ""},
                    {"fentry/_copy_to_user", "refused", "fentry programs are refused: \"EINVAL\"\n"}};
  r.result.ok = true;
  r.result.error = "";
  r.result.bytes = 4 << 20;
  r.result.units = 64;
  r.result.duration_ns = 12'345'678;
  r.result.cache_resident_pages = 3;
  r.result.file_pages = 1024;
  r.result.sink = {{"bytes", 4 << 20}, {"note", "ünïcode, \"quoted\""}};
  r.result.extra = {{"sigbus", false}, {"list", {1, 2, 3}}};
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.syscall_enters = 129;
  s.syscall_exits = 129;
  s.ctx_switches = 17;
  s.ctx_switches_involuntary = 2;
  s.page_faults_user = 5;
  s.page_faults_kernel = 1;
  s.page_cache_adds = 40;
  s.page_cache_add_pages = 1024;
  s.dma_ops = 3;
  s.dma_bytes = s.dma_read_bytes = 4 << 20;
  s.net_xmit_packets = 70;
  s.loopback_xmit_bytes = 4 << 20;
  s.events_captured = 300;
  s.events_dropped = 1;
  s.sys_calls[CS_SYS_READ] = 65;
  s.sys_calls[CS_SYS_WRITE] = 64;
  s.sys_calls[CS_SYS_OTHER] = 9;
  s.sys_errors[CS_SYS_WRITE] = 1;
  RoleCounters& k = r.counters[CS_ROLE_RECEIVER];
  k.syscall_enters = k.syscall_exits = 70;
  k.sys_calls[CS_SYS_RECVFROM] = 70;
  k.dma_write_bytes = UINT64_MAX;  // the largest value must survive
  r.flows = {{Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, 64, 4 << 20},
             {Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, 64, 4 << 20},
             {Role::Receiver, CS_SYS_RECVFROM, CS_FD_TCP, CS_FD_USER, 70, 4 << 20},
             {Role::Sender, CS_FLOW_URING_SEND_ZC, CS_FD_USER, CS_FD_TCP, 3, 300}};  // a pseudo flow
  r.thread_names = {{100, "scenario"}, {101, "sender"}, {200, "receiver"}};
  r.partial = true;

  // Events: a thread alternating read/write, a block read in flight during the
  // first read, faults, switches, page-cache inserts, the receiver's recvfrom.
  const uint64_t t0 = 1'000'000'000'000ull;
  Event ph = ev(CS_EV_PHASE, t0, 0, 101);
  ph.a = 1;
  r.events.push_back(ph);
  Event blk = ev(CS_EV_BLOCK, t0 + 1'000, 50'000, 101);
  blk.arg0 = 2048;
  blk.arg1 = 128 << 10;
  r.events.push_back(blk);
  Event blk2 = ev(CS_EV_BLOCK, t0 + 2'000, 70'000, 101);  // overlaps blk: needs a second disk lane
  blk2.arg1 = 128 << 10;
  r.events.push_back(blk2);
  uint64_t t = t0 + 500;
  for (int i = 0; i < 8; ++i) {
    r.events.push_back(sys_ev(CS_SYS_READ, t, i == 0 ? 60'000 : 3'000, 101, CS_FD_FILE, CS_FD_USER, 65536));
    t += (i == 0 ? 60'000 : 3'000) + 100;
    r.events.push_back(sys_ev(CS_SYS_WRITE, t, 4'000, 101, CS_FD_USER, CS_FD_TCP, 65536));
    t += 4'100;
    r.events.push_back(sys_ev(CS_SYS_RECVFROM, t - 3'000, 2'000, 201, CS_FD_TCP, CS_FD_USER, 65536, CS_ROLE_RECEIVER));
  }
  Event f = ev(CS_EV_FAULT, t0 + 700, 0, 101);
  f.a = 1;
  f.arg0 = 0x7fff0000;
  r.events.push_back(f);
  r.events.push_back(ev(CS_EV_SWITCH_OUT, t0 + 800, 0, 101));
  r.events.push_back(ev(CS_EV_SWITCH_IN, t0 + 52'000, 0, 101));
  Event pc = ev(CS_EV_PAGE_CACHE_ADD, t0 + 51'000, 0, 101);
  pc.a = 2;
  r.events.push_back(pc);
  Event nx = ev(CS_EV_NET_XMIT, t0 + 70'000, 0, 101);
  nx.a = 1;
  nx.arg1 = 65536;
  r.events.push_back(nx);
  Event neg = sys_ev(CS_SYS_WRITE, t + 10, 100, 101, CS_FD_USER, CS_FD_TCP, -32);  // -EPIPE
  r.events.push_back(neg);
  sort_events(r.events);
  return r;
}

void expect_same_run(const Run& a, const Run& b) {
  EXPECT_EQ(a.params.method, b.params.method);
  EXPECT_EQ(a.params.size, b.params.size);
  EXPECT_EQ(a.params.buffer, b.params.buffer);
  EXPECT_EQ(a.params.cache, b.params.cache);
  EXPECT_EQ(a.params.sink, b.params.sink);
  EXPECT_EQ(a.kernel.release, b.kernel.release);
  EXPECT_EQ(a.kernel.copy_accounting, b.kernel.copy_accounting);
  ASSERT_EQ(a.kernel.hooks.size(), b.kernel.hooks.size());
  for (size_t i = 0; i < a.kernel.hooks.size(); ++i) {
    EXPECT_EQ(a.kernel.hooks[i].name, b.kernel.hooks[i].name);
    EXPECT_EQ(a.kernel.hooks[i].status, b.kernel.hooks[i].status);
    EXPECT_EQ(a.kernel.hooks[i].detail, b.kernel.hooks[i].detail);
  }
  EXPECT_EQ(a.result.ok, b.result.ok);
  EXPECT_EQ(a.result.error, b.result.error);
  EXPECT_EQ(a.result.bytes, b.result.bytes);
  EXPECT_EQ(a.result.units, b.result.units);
  EXPECT_EQ(a.result.duration_ns, b.result.duration_ns);
  EXPECT_EQ(a.result.cache_resident_pages, b.result.cache_resident_pages);
  EXPECT_EQ(a.result.file_pages, b.result.file_pages);
  EXPECT_EQ(a.result.sink, b.result.sink);
  EXPECT_EQ(a.result.extra, b.result.extra);
  EXPECT_TRUE(a.counters[CS_ROLE_SENDER] == b.counters[CS_ROLE_SENDER]);
  EXPECT_TRUE(a.counters[CS_ROLE_RECEIVER] == b.counters[CS_ROLE_RECEIVER]);
  EXPECT_EQ(a.flows, b.flows);
  EXPECT_EQ(a.kernel.copy_accounting_why, b.kernel.copy_accounting_why);
  EXPECT_EQ(a.measured_copies, b.measured_copies);
  EXPECT_EQ(a.thread_names, b.thread_names);
  EXPECT_EQ(a.partial, b.partial);
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("copyscope-export-test-" + std::to_string(getpid()) + "-" + name))
      .string();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Loading must either succeed or throw TraceFileError with a one-line reason.
void expect_rejected(const std::string& path, const std::string& why_contains = "") {
  try {
    load_trace(path);
    ADD_FAILURE() << "accepted " << path;
  } catch (const TraceFileError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    if (!why_contains.empty()) EXPECT_NE(msg.find(why_contains), std::string::npos) << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << path << ": " << e.what();
  }
}

Summary summary_of(const Run& r) { return summarize(r, nullptr); }

}  // namespace

TEST(RunJson, RoundTripKeepsEveryField) {
  const copyscope::Run r = synthetic_run();
  const json j = run_to_json(r);
  EXPECT_FALSE(j.contains("events"));
  const copyscope::Run back = run_from_json(json::parse(j.dump()));
  expect_same_run(r, back);
  EXPECT_TRUE(back.events.empty());
  EXPECT_EQ(run_to_json(back), j);
}

TEST(RunJson, DefaultRunRoundTrips) {
  const copyscope::Run r;
  expect_same_run(r, run_from_json(run_to_json(r)));
}

TEST(RunJson, RejectsBadValuesWithTheFieldName) {
  const json good = run_to_json(synthetic_run());
  struct Case {
    const char* pointer;
    json value;
    const char* expect;
  };
  const Case cases[] = {
      {"/counters/sender/dma_bytes", -1, "negative"},
      {"/counters/sender/dma_bytes", 1.5, "not an integer"},
      {"/counters/sender/dma_bytes", "12", "non-negative integer"},
      {"/counters/sender/sys_calls/read", -3, "negative"},
      {"/params/size", nullptr, "params.size"},
      {"/params/method", 7, "params.method"},
      {"/kernel/copy_accounting", "guessed", "copy_accounting"},
      {"/kernel/hooks", "none", "hooks"},
      {"/flows/0/role", "bystander", "unknown value"},
      {"/flows/0/sys", "teleport", "unknown value"},
      {"/flows/0/src", "floppy", "unknown value"},
      {"/flows/0/calls", -4, "negative"},
      {"/thread_names", json::array(), "thread_names"},
      {"/partial", "yes", "partial"},
      {"/result/ok", 1, "result.ok"},
  };
  for (const Case& c : cases) {
    json bad = good;
    bad[json::json_pointer(c.pointer)] = c.value;
    try {
      run_from_json(bad);
      ADD_FAILURE() << "accepted " << c.pointer << " = " << c.value.dump();
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << c.pointer << ": " << e.what();
    }
  }
  json unknown_role = good;
  unknown_role["counters"]["observer"] = unknown_role["counters"]["sink"];
  EXPECT_THROW(run_from_json(unknown_role), std::runtime_error);
  json missing_role = good;
  missing_role["counters"].erase("sink");
  EXPECT_THROW(run_from_json(missing_role), std::runtime_error);
  json unknown_sys = good;
  unknown_sys["counters"]["sender"]["sys_errors"]["teleport"] = 1;
  EXPECT_THROW(run_from_json(unknown_sys), std::runtime_error);
  json bad_tid = good;
  bad_tid["thread_names"]["-5"] = "x";
  EXPECT_THROW(run_from_json(bad_tid), std::runtime_error);
  json big_tid = good;
  big_tid["thread_names"]["99999999999"] = "x";
  EXPECT_THROW(run_from_json(big_tid), std::runtime_error);
  EXPECT_THROW(run_from_json(json::array()), std::runtime_error);
}

TEST(Trace, EventsFollowTheTraceEventFormat) {
  const copyscope::Run r = synthetic_run();
  const json doc = trace_to_json(r, summary_of(r));
  const auto problems = check_trace_events(doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(doc["displayTimeUnit"], "ns");

  std::map<std::string, int> phases;
  std::set<std::string> process_names, counter_names;
  bool disk_slice = false, syscall_args = false;
  for (const json& e : doc["traceEvents"]) {
    const std::string ph = e["ph"];
    phases[ph]++;
    EXPECT_TRUE(e.contains("pid") && e.contains("tid") && e.contains("ts")) << e.dump();
    if (ph == "M" && e["name"] == "process_name") process_names.insert(e["args"]["name"].get<std::string>());
    if (ph == "C") counter_names.insert(e["name"].get<std::string>());
    if (ph == "X" && e["cat"] == "block") disk_slice = true;
    if (ph == "X" && e["name"] == "read" && e["args"]["from"] == "file" && e["args"]["bytes"] == 65536)
      syscall_args = true;
    if (ph == "X") EXPECT_GE(e["dur"].get<double>(), 0.0);
  }
  EXPECT_GT(phases["X"], 16);
  EXPECT_GT(phases["C"], 0);
  EXPECT_GT(phases["i"], 0);
  EXPECT_GT(phases["M"], 0);
  EXPECT_EQ(phases["s"], phases["f"]);
  EXPECT_GE(phases["s"], 1) << "a disk read should be linked to the read that consumed it";
  EXPECT_TRUE(disk_slice);
  EXPECT_TRUE(syscall_args);
  EXPECT_TRUE(process_names.count("disk (block I/O)"));
  EXPECT_TRUE(process_names.count("sender (read_write)"));
  EXPECT_TRUE(process_names.count("receiver (read_write)"));
  EXPECT_TRUE(counter_names.count("bytes moved"));
  EXPECT_TRUE(counter_names.count("mode switches"));
  EXPECT_TRUE(counter_names.count("context switches"));
  // ts is in microseconds from the first event.
  double min_ts = 1e300;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] != "M") min_ts = std::min(min_ts, e["ts"].get<double>());
  EXPECT_EQ(min_ts, 0.0);
}

TEST(Trace, OverlappingSpansOnOneThreadMoveToTheirOwnTrack) {
  copyscope::Run r = synthetic_run();
  r.events.push_back(sys_ev(CS_SYS_READ, r.events[1].ts + 10, 1'000'000, 101, CS_FD_FILE, CS_FD_USER, 1));
  sort_events(r.events);
  const json doc = trace_to_json(r, summary_of(r));
  const auto problems = check_trace_events(doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
  bool overlap_track = false;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name" &&
        e["args"]["name"].get<std::string>().find("overlap") != std::string::npos)
      overlap_track = true;
  EXPECT_TRUE(overlap_track);
}

TEST(Trace, ValidatorFindsBrokenTraces) {
  auto problems_of = [](json events) { return check_trace_events(json{{"traceEvents", events}}); };
  EXPECT_TRUE(problems_of(json::array({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"dur", 10}},
                                       {{"ph", "X"}, {"name", "b"}, {"pid", 1}, {"tid", 1}, {"ts", 2}, {"dur", 3}}}))
                  .empty());
  EXPECT_FALSE(problems_of(json::array({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"dur", 10}},
                                        {{"ph", "X"}, {"name", "b"}, {"pid", 1}, {"tid", 1}, {"ts", 5}, {"dur", 10}}}))
                   .empty());
  EXPECT_FALSE(problems_of(json::array({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"ts", 0}, {"dur", 1}}})).empty());
  EXPECT_FALSE(
      problems_of(json::array({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"dur", -1}}})).empty());
  EXPECT_FALSE(problems_of(json::array({{{"ph", "Q"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}}})).empty());
  EXPECT_FALSE(
      problems_of(
          json::array({{{"ph", "C"}, {"name", "c"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"args", {{"v", "x"}}}}}))
          .empty());
  EXPECT_FALSE(check_trace_events(json::object()).empty());
}

TEST(Trace, WriteThenLoadGivesTheSameRunAndSummary) {
  const copyscope::Run r = synthetic_run();
  const Summary s = summary_of(r);
  const std::string path = temp_path("roundtrip.json");
  write_trace(r, s, path);
  const copyscope::Run back = load_trace(path);
  expect_same_run(r, back);
  ASSERT_EQ(back.events.size(), r.events.size());
  for (size_t i = 0; i < r.events.size(); ++i)
    EXPECT_EQ(std::memcmp(&back.events[i], &r.events[i], sizeof(Event)), 0) << "event " << i;
  EXPECT_EQ(to_json(summary_of(back)), to_json(s));
  EXPECT_EQ(json::parse(read_file(path))["copyscope"]["summary"], to_json(s));
  std::filesystem::remove(path);
}

// A run whose copies were measured at the copy routines (a kernel with fentry).
copyscope::Run measured_run() {
  copyscope::Run r = synthetic_run();
  r.kernel.release = "6.1.0-28-amd64";
  r.kernel.copy_accounting = "measured";
  r.kernel.copy_accounting_why = "all 9 copy routines of this kernel are hooked (9 by fentry, 0 by kprobe)";
  r.measured_copies = {
      {Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, CS_COPY_TO_USER, CS_CR_COPY_PAGE_TO_ITER, 256, 4 << 20},
      {Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, CS_COPY_FROM_USER, CS_CR_COPY_FROM_ITER, 64, 3 << 20},
      {Role::Sender, CS_SYS_OTHER, CS_FD_NONE, CS_FD_NONE, CS_COPY_KERNEL, CS_CR_COPY_TO_USER, 1, 77},
      {Role::Receiver, CS_SYS_RECVFROM, CS_FD_TCP, CS_FD_USER, CS_COPY_TO_USER, CS_CR_COPY_TO_ITER, 70, 4 << 20}};
  RoleCounters& s = r.counters[CS_ROLE_SENDER];
  s.copy_calls = 321;
  s.copy_to_user_bytes = 4 << 20;
  s.copy_from_user_bytes = 3 << 20;
  s.copy_kernel_bytes = 77;
  return r;
}

TEST(Trace, MeasuredCopiesSurviveExportAndReplay) {
  const copyscope::Run r = measured_run();
  const Summary s = summary_of(r);
  EXPECT_EQ(s.counters.cpu_copy_bytes, (7u << 20) + 77);
  const std::string path = temp_path("measured.json");
  write_trace(r, s, path);
  const copyscope::Run back = load_trace(path);
  expect_same_run(r, back);
  const Summary again = summary_of(back);
  EXPECT_EQ(to_json(again), to_json(s));
  EXPECT_EQ(to_json(again)["kernel"]["copy_accounting"], "measured");
  EXPECT_EQ(to_json(again)["counters"]["cpu_copy_bytes"], (7u << 20) + 77);
  std::filesystem::remove(path);
}

TEST(RunJson, MeasuredCopiesAreCheckedAndOptional) {
  const json good = run_to_json(measured_run());
  for (const auto& [ptr, value] : std::vector<std::pair<const char*, json>>{{"/measured_copies/0/dir", "sideways"},
                                                                            {"/measured_copies/0/routine", "memcpy"},
                                                                            {"/measured_copies/1/bytes", -1},
                                                                            {"/measured_copies", "all"}}) {
    json bad = good;
    bad[json::json_pointer(ptr)] = value;
    EXPECT_THROW(run_from_json(bad), std::runtime_error) << ptr;
  }
  json attributed = good;
  attributed["kernel"]["copy_accounting"] = "attributed";
  EXPECT_THROW(run_from_json(attributed), std::runtime_error);
  // A file from before copies were measured still loads.
  json old = run_to_json(synthetic_run());
  old.erase("measured_copies");
  old["kernel"].erase("copy_accounting_why");
  for (const char* k : {"copy_calls", "copy_to_user_bytes", "copy_from_user_bytes", "copy_kernel_bytes"})
    old["counters"]["sender"].erase(k);
  expect_same_run(synthetic_run(), run_from_json(old));
}

TEST(Trace, EmptyRunStillWritesAValidTrace) {
  copyscope::Run r;
  r.params.method = "sendfile";
  const std::string path = temp_path("empty-run.json");
  write_trace(r, summary_of(r), path);
  EXPECT_TRUE(check_trace_events(json::parse(read_file(path))).empty());
  EXPECT_EQ(load_trace(path).params.method, "sendfile");
  std::filesystem::remove(path);
}

TEST(TraceFile, BadFilesAreRejectedWithAReason) {
  const copyscope::Run r = synthetic_run();
  const std::string good_path = temp_path("good.json");
  write_trace(r, summary_of(r), good_path);
  const std::string good = read_file(good_path);
  const json doc = json::parse(good);

  expect_rejected(temp_path("does-not-exist.json"), "No such file");
  expect_rejected(std::filesystem::temp_directory_path().string(), "directory");
  const std::string p = temp_path("bad.json");
  auto check = [&](const std::string& text, const std::string& why) {
    write_file(p, text);
    expect_rejected(p, why);
  };
  {
    // Sparse: takes no disk space, but its size says 3 GiB.
    std::ofstream(p, std::ios::trunc).close();
    std::filesystem::resize_file(p, 3ull << 30);
    expect_rejected(p, "2 GiB");
  }
  check("", "empty");
  check(" \n\t", "empty");
  check(
      "\x7f"
      "ELF\x02\x01\x01\x00garbage",
      "not JSON");
  check("hello, world", "not JSON");
  check("[1, 2, 3]", "not an object");
  check("{\"traceEvents\": []}", "copyscope");
  check(good.substr(0, good.size() / 2), "truncated");
  check(good.substr(0, 1), "truncated");

  auto mutated = [&](auto&& edit) {
    json d = doc;
    edit(d);
    return d.dump();
  };
  check(mutated([](json& d) { d["copyscope"]["format"] = 2; }), "format version 2");
  check(mutated([](json& d) { d["copyscope"].erase("format"); }), "format");
  check(mutated([](json& d) { d["copyscope"].erase("run"); }), "run");
  check(mutated([](json& d) { d["copyscope"]["run"]["counters"]["sender"]["ctx_switches"] = -7; }), "negative");
  check(
      mutated([](json& d) { d["copyscope"]["run"]["counters"]["ghost"] = d["copyscope"]["run"]["counters"]["sink"]; }),
      "unknown role");
  check(mutated([](json& d) { d["copyscope"]["events"][0][5] = 1ull << 40; }), "tgid");
  check(mutated([](json& d) { d["copyscope"]["events"][0][10] = 7; }), "role");
  check(mutated([](json& d) { d["copyscope"]["events"][0][9] = 200; }), "type");
  check(mutated([](json& d) { d["copyscope"]["events"][0][0] = -1; }), "ts");
  check(mutated([](json& d) { d["copyscope"]["events"][0][0] = 1.5; }), "ts");
  check(mutated([](json& d) { d["copyscope"]["events"][0] = json::array({1, 2}); }), "events[0]");
  check(mutated([](json& d) { d["copyscope"]["events"] = "lots"; }), "events");
  // A syscall event naming a syscall index this build does not know.
  check(mutated([](json& d) {
          for (json& e : d["copyscope"]["events"])
            if (e[9] == CS_EV_SYSCALL) {
              e[7] = 999;
              break;
            }
        }),
        "sys");
  std::filesystem::remove(p);
  std::filesystem::remove(good_path);
}

TEST(TraceFile, TruncatedAtEveryCutIsRejectedNeverACrash) {
  const copyscope::Run r = synthetic_run();
  const std::string good_path = temp_path("cut-src.json");
  write_trace(r, summary_of(r), good_path);
  std::string good = read_file(good_path);
  while (!good.empty() && (good.back() == '\n' || good.back() == '}')) good.pop_back();
  const std::string p = temp_path("cut.json");
  const size_t step = std::max<size_t>(1, good.size() / 97);
  for (size_t n = 1; n < good.size(); n += step) {
    write_file(p, good.substr(0, n));
    expect_rejected(p);
  }
  std::filesystem::remove(p);
  std::filesystem::remove(good_path);
}

namespace {

// Where each value of a well-formed JSON text sits, by path
// ("copyscope.run.params.size", "copyscope.events[3][9]"): strings (their
// content, inside the quotes), keys (the member's path), numbers and literals;
// and where the structure ({ } [ ] : ,) is.
struct JsonSpan {
  enum Kind { Key, String, Number, Literal } kind;
  size_t begin, end;
  std::string path;
};
struct JsonLayout {
  std::vector<JsonSpan> spans;
  std::vector<size_t> structure;
};

void walk_json(const std::string& t, size_t& i, const std::string& path, JsonLayout& out) {
  auto ws = [&] {
    while (i < t.size() && std::strchr(" \t\r\n", t[i])) ++i;
  };
  auto string_content = [&] {
    const size_t begin = ++i;
    while (t[i] != '"') i += t[i] == '\\' ? 2 : 1;
    return std::make_pair(begin, i++);
  };
  ws();
  const char c = t[i];
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    out.structure.push_back(i++);
    ws();
    for (size_t n = 0; t[i] != close; ++n) {
      if (n) out.structure.push_back(i++);  // ','
      ws();
      std::string member = path + "[" + std::to_string(n) + "]";
      if (close == '}') {
        const auto [b, e] = string_content();
        member = (path.empty() ? "" : path + ".") + t.substr(b, e - b);
        out.spans.push_back({JsonSpan::Key, b, e, member});
        ws();
        out.structure.push_back(i++);  // ':'
      }
      walk_json(t, i, member, out);
      ws();
    }
    out.structure.push_back(i++);
  } else if (c == '"') {
    const auto [b, e] = string_content();
    out.spans.push_back({JsonSpan::String, b, e, path});
  } else if (c == 't' || c == 'f' || c == 'n') {
    const size_t b = i;
    i += c == 'f' ? 5 : 4;
    out.spans.push_back({JsonSpan::Literal, b, i, path});
  } else {
    const size_t b = i;
    while (i < t.size() && std::strchr("-+.eE0123456789", t[i])) ++i;
    out.spans.push_back({JsonSpan::Number, b, i, path});
  }
}

JsonLayout layout_of(const std::string& text) {
  JsonLayout l;
  size_t i = 0;
  walk_json(text, i, "", l);
  return l;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The reason load_trace must give when the key at `path` is renamed, or "" if
// the loader may do without that member. Mirrors what run_from_json and
// trace_from_text require (the members of copyscope it reads, every field of
// its run but the optional ones).
std::string missing_key_reason(const std::string& path) {
  static const std::set<std::string> copyscope = {"format",   "run",        "enums", "enums.sys",
                                                  "enums.fd", "enums.type", "events"};
  static const std::set<std::string> run_fields = {"params",
                                                   "kernel",
                                                   "result",
                                                   "counters",
                                                   "flows",
                                                   "thread_names",
                                                   "partial",
                                                   "params.method",
                                                   "params.size",
                                                   "params.buffer",
                                                   "params.cache",
                                                   "params.sink",
                                                   "kernel.release",
                                                   "kernel.copy_accounting",
                                                   "kernel.hooks",
                                                   "result.ok",
                                                   "result.error",
                                                   "result.bytes",
                                                   "result.units",
                                                   "result.duration_ns",
                                                   "result.cache_resident_pages",
                                                   "result.file_pages",
                                                   "result.sink",
                                                   "result.extra"};
  static const std::set<std::string> counter_fields = {
      "syscall_enters",   "syscall_exits",      "ctx_switches",        "ctx_switches_involuntary",
      "page_faults_user", "page_faults_kernel", "page_cache_adds",     "page_cache_add_pages",
      "dma_ops",          "dma_bytes",          "dma_read_bytes",      "dma_write_bytes",
      "net_xmit_packets", "net_xmit_bytes",     "loopback_xmit_bytes", "events_captured",
      "events_dropped",   "sys_calls",          "sys_errors"};
  if (path == "copyscope") return "no \"copyscope\" object";
  if (!starts_with(path, "copyscope.")) return "";
  const std::string in_copyscope = path.substr(10);
  if (copyscope.count(in_copyscope))
    return path + (in_copyscope == "events" ? " is missing or not an array" : " is missing");
  if (!starts_with(in_copyscope, "run.")) return "";
  const std::string f = in_copyscope.substr(4);
  const size_t dot = f.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : f.substr(0, dot), leaf = f.substr(dot + 1);
  if (f == "counters.sender" || f == "counters.sink") return "unknown role";
  const bool required =
      run_fields.count(f) ||
      ((parent == "counters.sender" || parent == "counters.sink") && counter_fields.count(leaf)) ||
      (starts_with(parent, "kernel.hooks[") && parent.find('.') == std::string::npos &&
       (leaf == "name" || leaf == "status" || leaf == "detail")) ||
      (starts_with(parent, "flows[") && parent.find('.') == std::string::npos &&
       (leaf == "role" || leaf == "sys" || leaf == "src" || leaf == "dst" || leaf == "calls" || leaf == "bytes"));
  return required ? path + ": missing" : "";
}

// "copyscope.run.flows[0].calls" -> "/flows/0/calls", a pointer into run_to_json.
std::string run_pointer(const std::string& path) {
  std::string p;
  for (char c : path.substr(std::string("copyscope.run").size())) p += c == '.' || c == '[' ? '/' : c == ']' ? '\0' : c;
  p.erase(std::remove(p.begin(), p.end(), '\0'), p.end());
  return p;
}

// An event's value in column `col` of copyscope.events (kTraceEventFields).
uint64_t event_cell(const Event& e, size_t col) {
  const uint64_t cells[] = {e.ts,   e.dur,  e.arg0, e.arg1, static_cast<uint64_t>(e.ret), e.tgid, e.tid, e.sys, e.cpu,
                            e.type, e.role, e.a,    e.b};
  static_assert(std::size(cells) == kTraceEventFieldCount);
  return cells[col];
}

// What holds for any run the loader accepts: its events are ones this build
// knows, it analyses, and the model's answer is one (each kind of stage adds up
// to its counter, ratios are numbers).
void expect_model_invariants(const Run& run, const std::string& what) {
  for (size_t i = 0; i < run.events.size(); ++i) {
    const Event& e = run.events[i];
    ASSERT_LT(e.role, CS_ROLE_MAX) << what << ": event " << i;
    ASSERT_LT(e.type, CS_EV_MAX) << what << ": event " << i;
    ASSERT_LE(e.ts, UINT64_MAX - e.dur) << what << ": event " << i;
    if (e.type == CS_EV_SYSCALL) {
      ASSERT_LT(e.sys, CS_SYS_MAX) << what << ": event " << i;
      ASSERT_LT(e.a, CS_FD_MAX) << what << ": event " << i;
      ASSERT_LT(e.b, CS_FD_MAX) << what << ": event " << i;
    }
  }
  const Summary s = summarize(run, nullptr);
  std::map<StageKind, uint64_t> sum;
  for (const Stage& st : s.stages) sum[st.kind] += st.bytes;
  EXPECT_EQ(sum[StageKind::CpuCopy], s.counters.cpu_copy_bytes) << what;
  EXPECT_EQ(sum[StageKind::Dma], s.counters.dma_bytes) << what;
  EXPECT_EQ(sum[StageKind::Handoff], s.counters.loopback_bytes) << what;
  for (double v : {s.per_call.mode_switches, s.per_call.cpu_copies, s.per_call.dma_copies, s.per_call.context_switches,
                   s.throughput_mib_s})
    EXPECT_TRUE(std::isfinite(v) && v >= 0) << what << ": " << v;
  EXPECT_NO_THROW(to_json(s)) << what;
}

}  // namespace

// Damage of each kind a file can suffer, and what the loader must do with it:
// cut short -> "truncated"; a structural byte replaced by one JSON never has
// outside strings -> "not JSON" at that byte; a byte inside a string -> the
// loader decides (control and invalid UTF-8 bytes: not JSON there; otherwise
// loads with the very same events, or is refused with a reason); a required
// member renamed -> refused, naming it; a digit of an event changed -> loads
// with that one value changed, or is refused naming the event; a digit of the
// run changed -> loads with that one value changed, or is refused naming it.
// Whatever loads satisfies the model's invariants. Never another exception.
TEST(TraceFile, EachKindOfDamageHasItsOutcome) {
  const copyscope::Run r = synthetic_run();
  const std::string good_path = temp_path("damage-src.json");
  write_trace(r, summary_of(r), good_path);
  const std::string good = read_file(good_path);
  const copyscope::Run ref = load_trace(good_path);
  const json ref_run = run_to_json(ref);
  const JsonLayout layout = layout_of(good);
  ASSERT_GT(layout.structure.size(), 100u);

  std::vector<const JsonSpan*> strings, required_keys, event_numbers, run_numbers;
  for (const JsonSpan& sp : layout.spans) {
    if ((sp.kind == JsonSpan::Key || sp.kind == JsonSpan::String) && sp.end > sp.begin) strings.push_back(&sp);
    if (sp.kind == JsonSpan::Key && !missing_key_reason(sp.path).empty()) required_keys.push_back(&sp);
    if (sp.kind == JsonSpan::Number && starts_with(sp.path, "copyscope.events[")) event_numbers.push_back(&sp);
    if (sp.kind == JsonSpan::Number && starts_with(sp.path, "copyscope.run.")) run_numbers.push_back(&sp);
  }
  ASSERT_GE(required_keys.size(), 40u);
  ASSERT_FALSE(event_numbers.empty());
  ASSERT_FALSE(run_numbers.empty());

  const std::string p = temp_path("damage.json");
  std::mt19937 rng(20261121);
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  // Loads `text`; on refusal returns nullopt and the one-line reason, which names the file.
  auto load = [&](const std::string& text, std::string* why) -> std::optional<copyscope::Run> {
    write_file(p, text);
    try {
      return load_trace(p);
    } catch (const TraceFileError& e) {
      *why = e.what();
      EXPECT_EQ(why->find('\n'), std::string::npos) << *why;
      EXPECT_TRUE(starts_with(*why, p + ": ")) << *why;
      return std::nullopt;
    }
  };
  // A digit of the number at `sp` changed to another (no leading zero made).
  auto change_digit = [&](const JsonSpan& sp, std::string* text, std::string* number) {
    size_t pos;
    do pos = sp.begin + rng() % (sp.end - sp.begin);
    while (!std::isdigit(static_cast<unsigned char>(good[pos])));
    const bool leading = pos == sp.begin || good[pos - 1] == '-';
    char d;
    do d = static_cast<char>('0' + rng() % 10);
    while (d == good[pos] || (leading && d == '0' && sp.end - pos > 1));
    *text = good;
    (*text)[pos] = d;
    *number = text->substr(sp.begin, sp.end - sp.begin);
  };
  struct Tally {
    int loaded = 0, refused = 0;
  };
  std::map<std::string, Tally> tally;
  constexpr int kRounds = 50;

  for (int round = 0; round < kRounds; ++round) {
    std::string why;
    {  // Cut short, anywhere before the closing brace.
      const size_t n = 1 + rng() % (good.rfind('}') - 1);
      SCOPED_TRACE("cut after " + std::to_string(n) + " bytes");
      EXPECT_FALSE(load(good.substr(0, n), &why).has_value());
      EXPECT_NE(why.find("truncated"), std::string::npos) << why;
      ++tally["cut"].refused;
    }
    {  // A structural byte replaced by one never valid outside a string.
      static const std::string never = "#%&*;<>?@^`|~xyzXYZ\x01\x7f\x80\xff";
      const size_t pos = pick(layout.structure);
      std::string text = good;
      text[pos] = never[rng() % never.size()];
      SCOPED_TRACE("structure at byte " + std::to_string(pos));
      EXPECT_FALSE(load(text, &why).has_value());
      EXPECT_NE(why.find("not JSON (byte " + std::to_string(pos) + ")"), std::string::npos) << why;
      ++tally["structure"].refused;
    }
    {  // A byte inside a string (key or value).
      const JsonSpan& sp = *pick(strings);
      size_t pos;
      do pos = sp.begin + rng() % (sp.end - sp.begin);
      while (static_cast<unsigned char>(good[pos]) >= 0x80);  // whole UTF-8 sequences are left alone
      unsigned char b;
      do b = static_cast<unsigned char>(rng() % 256);
      while (b == static_cast<unsigned char>(good[pos]));
      std::string text = good;
      text[pos] = static_cast<char>(b);
      SCOPED_TRACE("byte " + std::to_string(b) + " at " + std::to_string(pos) + " in " + sp.path);
      const std::optional<copyscope::Run> back = load(text, &why);
      if (b < 0x20 || (b >= 0x80 && b < 0xC2) || b >= 0xF5) {
        EXPECT_NE(why.find("not JSON (byte " + std::to_string(pos) + ")"), std::string::npos) << why;
      } else if (b >= 0xC2 && b <= 0xF4) {  // a lead byte followed by ASCII
        EXPECT_NE(why.find("not JSON (byte " + std::to_string(pos + 1) + ")"), std::string::npos) << why;
      }
      if (back) {
        ASSERT_EQ(back->events.size(), ref.events.size());
        for (size_t i = 0; i < ref.events.size(); ++i)
          ASSERT_EQ(std::memcmp(&back->events[i], &ref.events[i], sizeof(Event)), 0) << "event " << i;
        expect_model_invariants(*back, sp.path);
      }
      ++(back ? tally["string"].loaded : tally["string"].refused);
    }
    {  // A required member renamed.
      const JsonSpan& sp = *pick(required_keys);
      std::string text = good;
      text[sp.begin + rng() % (sp.end - sp.begin)] = static_cast<char>('A' + rng() % 26);
      SCOPED_TRACE("key " + sp.path);
      EXPECT_FALSE(load(text, &why).has_value());
      EXPECT_NE(why.find(missing_key_reason(sp.path)), std::string::npos) << why;
      ++tally["required key"].refused;
    }
    {  // A digit of an event's value.
      const JsonSpan& sp = *pick(event_numbers);
      const size_t row = std::stoul(sp.path.substr(17));
      const size_t col = std::stoul(sp.path.substr(sp.path.rfind('[') + 1));
      std::string text, number;
      change_digit(sp, &text, &number);
      SCOPED_TRACE(sp.path + " = " + number);
      const std::optional<copyscope::Run> back = load(text, &why);
      if (back) {
        ASSERT_EQ(back->events.size(), ref.events.size());
        for (size_t i = 0; i < ref.events.size(); ++i)
          for (size_t c = 0; c < kTraceEventFieldCount; ++c)
            if (i != row || c != col)
              ASSERT_EQ(event_cell(back->events[i], c), event_cell(ref.events[i], c)) << i << "/" << c;
        EXPECT_EQ(event_cell(back->events[row], col), static_cast<uint64_t>(std::stoll(number)));
        expect_model_invariants(*back, sp.path);
      } else {
        EXPECT_NE(why.find("copyscope.events[" + std::to_string(row) + "]"), std::string::npos) << why;
      }
      ++(back ? tally["event digit"].loaded : tally["event digit"].refused);
    }
    {  // A digit of one of the run's numbers.
      const JsonSpan& sp = *pick(run_numbers);
      std::string text, number;
      change_digit(sp, &text, &number);
      SCOPED_TRACE(sp.path + " = " + number);
      const std::optional<copyscope::Run> back = load(text, &why);
      if (back) {
        const json diff = json::diff(ref_run, run_to_json(*back));
        ASSERT_EQ(diff.size(), 1u) << diff.dump();
        EXPECT_EQ(diff[0]["path"], run_pointer(sp.path)) << diff.dump();
        if (diff[0]["op"] == "remove")  // per-syscall counts are written only when not 0
          EXPECT_EQ(json::parse(number), 0) << diff.dump();
        else
          EXPECT_EQ(diff[0]["value"].dump(), json::parse(number).dump());
        ASSERT_EQ(back->events.size(), ref.events.size());
        expect_model_invariants(*back, sp.path);
      } else {
        EXPECT_NE(why.find(sp.path.substr(std::string("copyscope.run.").size())), std::string::npos) << why;
      }
      ++(back ? tally["run digit"].loaded : tally["run digit"].refused);
    }
  }
  // Each kind was tried, and where both outcomes are allowed, the loads were checked too.
  for (const char* kind : {"cut", "structure", "required key"}) EXPECT_EQ(tally[kind].refused, kRounds) << kind;
  for (const char* kind : {"string", "event digit", "run digit"}) {
    EXPECT_EQ(tally[kind].loaded + tally[kind].refused, kRounds) << kind;
    EXPECT_GT(tally[kind].loaded, 0) << kind << ": nothing loaded, so nothing loaded was checked";
  }
  EXPECT_GT(tally["string"].refused, 0);
  EXPECT_GT(tally["event digit"].refused, 0) << "a type or role out of range must be refused";
  std::filesystem::remove(p);
  std::filesystem::remove(good_path);
}

namespace {

// RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      EXPECT_TRUE(field.empty()) << "quote inside an unquoted field";
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  if (!field.empty() || was_quoted) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST(Csv, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_quote("plain"), "plain");
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_quote("two\nlines"), "\"two\nlines\"");
}

TEST(Csv, HeaderAndOneRowPerRunParse) {
  copyscope::Run a = synthetic_run();
  copyscope::Run b = synthetic_run();
  b.params.method = "send,file \"odd\"";
  b.counters[CS_ROLE_SENDER].ctx_switches = 99;
  std::vector<Summary> rows = {summary_of(a), summary_of(b)};
  const std::string path = temp_path("runs.csv");
  write_csv(rows, path);
  const auto table = parse_csv(read_file(path));
  ASSERT_EQ(table.size(), 3u);
  const auto& header = table[0];
  for (const auto& row : table) EXPECT_EQ(row.size(), header.size());
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  for (const char* name : {"method",
                           "params.size",
                           "params.buffer",
                           "params.cache",
                           "params.sink",
                           "kernel.release",
                           "kernel.copy_accounting",
                           "counters.mode_switches",
                           "counters.context_switches",
                           "counters.cpu_copies",
                           "counters.dma_bytes",
                           "counters.syscalls.read",
                           "counters.page_faults",
                           "counters.events_dropped",
                           "per_call.mode_switches",
                           "per_call.cpu_copies",
                           "per_call.dma_copies",
                           "textbook.mode_switches",
                           "textbook.cpu_copies",
                           "textbook.dma_copies",
                           "sink.mode_switches"})
    col(name);
  EXPECT_EQ(table[1][col("method")], "read_write");
  EXPECT_EQ(table[2][col("method")], "send,file \"odd\"");
  EXPECT_EQ(table[1][col("counters.mode_switches")], std::to_string(rows[0].counters.mode_switches));
  EXPECT_EQ(table[2][col("counters.context_switches")], "99");
  EXPECT_EQ(table[1][col("counters.syscalls.read")], "65");
  EXPECT_EQ(table[1][col("params.size")], std::to_string(4 << 20));
  EXPECT_EQ(table[1][col("textbook.cpu_copies")], "");  // no textbook given
  std::filesystem::remove(path);
}

// ---- report --------------------------------------------------------------

#include "export/report.h"

// The HTML report is one file with its pictures inline; the Markdown report
// writes exactly report_files() and links only those pictures.
TEST(ExportReport, HtmlIsOneFileMarkdownLinksItsOwnSvgs) {
  copyscope::Run a = synthetic_run();
  copyscope::Run b = synthetic_run();
  b.params.method = "sendfile";
  TextbookMethod tb;
  tb.expect.mode_switches = 2;
  tb.expect.cpu_copies = 1;
  tb.expect.dma_copies = 2;
  std::vector<copyscope::Run> runs = {a, b};
  std::vector<Summary> ss = {summarize(a, &tb), summarize(b, &tb)};
  const std::filesystem::path dir = temp_path("report");
  for (const char* name : {"r.html", "r.md"}) {
    SCOPED_TRACE(name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    write_report(runs, ss, path);
    const std::string text = read_file(path);
    const bool html = std::string(name) == "r.html";
    std::set<std::string> on_disk, listed;
    for (const auto& e : std::filesystem::directory_iterator(dir)) on_disk.insert(e.path().filename().string());
    for (const std::string& f : report_files(path, runs.size()))
      listed.insert(std::filesystem::path(f).filename().string());
    EXPECT_EQ(on_disk, listed);
    if (html) {
      EXPECT_EQ(listed, std::set<std::string>{"r.html"});
      EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u);
      EXPECT_NE(text.find("</html>"), std::string::npos);
      EXPECT_NE(text.find("<table"), std::string::npos);
      EXPECT_EQ(text.find("<script"), std::string::npos);
      EXPECT_EQ(text.find("<img"), std::string::npos);
      EXPECT_EQ(text.find("src="), std::string::npos);
      // Two bar charts, and a diagram and a timeline per run.
      size_t svgs = 0;
      for (size_t at = text.find("<svg"); at != std::string::npos; at = text.find("<svg", at + 1)) ++svgs;
      EXPECT_EQ(svgs, 6u);
    } else {
      EXPECT_NE(text.find("| method |"), std::string::npos);
      EXPECT_EQ(listed, (std::set<std::string>{"r.md", "r-copies.svg", "r-switches.svg", "r-datapath-1.svg",
                                               "r-datapath-2.svg", "r-timeline-1.svg", "r-timeline-2.svg"}));
      for (const std::string& f : listed) {
        if (f == "r.md") continue;
        EXPECT_NE(text.find("](" + f + ")"), std::string::npos) << f;
        const std::string svg = read_file((dir / f).string());
        EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << f;
        EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos) << f;
        EXPECT_NE(svg.find("</svg>"), std::string::npos) << f;
      }
    }
    EXPECT_NE(text.find("6.18.0-test"), std::string::npos);
    EXPECT_NE(text.find("attributed"), std::string::npos);
    EXPECT_NE(text.find("sendfile"), std::string::npos);
    const std::string deviation =
        html ? "<b>mode switches</b>: textbook 2, measured" : "**mode switches**: textbook 2, measured";
    EXPECT_NE(text.find(deviation), std::string::npos) << "deviations in words:\n"
                                                       << text.substr(text.find("differs from"));
    // A language it does not have leaves no file at all.
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    EXPECT_THROW(write_report(runs, ss, path, "fr"), std::runtime_error);
    EXPECT_TRUE(std::filesystem::is_empty(dir));
  }
  std::filesystem::remove_all(dir);
}

TEST(Report, RecordingsInAssetsAreValidTraces) {
  const std::filesystem::path dir = std::filesystem::path(COPYSCOPE_SOURCE_ASSETS) / "recordings";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    ++n;
    const json doc = json::parse(read_file(entry.path().string()));
    const auto problems = check_trace_events(doc);
    EXPECT_TRUE(problems.empty()) << problems.front();
    const copyscope::Run run = load_trace(entry.path().string());
    EXPECT_FALSE(run.events.empty());
    const json replayed = to_json(summarize(run, nullptr));
    for (const auto& [key, value] : doc["copyscope"]["summary"]["counters"].items())
      EXPECT_EQ(replayed["counters"][key], value) << key;
  }
  EXPECT_GE(n, 2u);
}
