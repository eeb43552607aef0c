// Export and replay without BPF: Run <-> JSON, the trace format and its
// validator, hostile trace files, CSV. Every test builds its own synthetic run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "export/csv.h"
#include "export/trace.h"
#include "model/run_json.h"

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
  RoleCounters& k = r.counters[CS_ROLE_SINK];
  k.syscall_enters = k.syscall_exits = 70;
  k.sys_calls[CS_SYS_RECVFROM] = 70;
  k.dma_write_bytes = UINT64_MAX;  // the largest value must survive
  r.flows = {{Role::Sender, CS_SYS_READ, CS_FD_FILE, CS_FD_USER, 64, 4 << 20},
             {Role::Sender, CS_SYS_WRITE, CS_FD_USER, CS_FD_TCP, 64, 4 << 20},
             {Role::Sink, CS_SYS_RECVFROM, CS_FD_TCP, CS_FD_USER, 70, 4 << 20},
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
    r.events.push_back(sys_ev(CS_SYS_RECVFROM, t - 3'000, 2'000, 201, CS_FD_TCP, CS_FD_USER, 65536, CS_ROLE_SINK));
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
  EXPECT_TRUE(a.counters[CS_ROLE_SINK] == b.counters[CS_ROLE_SINK]);
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
  EXPECT_FALSE(problems_of(json::array({{{"ph", "X"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"dur", -1}}}))
                   .empty());
  EXPECT_FALSE(problems_of(json::array({{{"ph", "Q"}, {"name", "a"}, {"pid", 1}, {"tid", 1}, {"ts", 0}}})).empty());
  EXPECT_FALSE(
      problems_of(json::array({{{"ph", "C"}, {"name", "c"}, {"pid", 1}, {"tid", 1}, {"ts", 0}, {"args", {{"v", "x"}}}}}))
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
      {Role::Sink, CS_SYS_RECVFROM, CS_FD_TCP, CS_FD_USER, CS_COPY_TO_USER, CS_CR_COPY_TO_ITER, 70, 4 << 20}};
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
  check("\x7f" "ELF\x02\x01\x01\x00garbage", "not JSON");
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
  check(mutated([](json& d) { d["copyscope"]["run"]["counters"]["ghost"] = d["copyscope"]["run"]["counters"]["sink"]; }),
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

TEST(TraceFile, RandomByteDamageLoadsOrIsRejected) {
  const copyscope::Run r = synthetic_run();
  const std::string good_path = temp_path("flip-src.json");
  write_trace(r, summary_of(r), good_path);
  const std::string good = read_file(good_path);
  const std::string p = temp_path("flip.json");
  std::mt19937 rng(20261121);
  int rejected = 0, loaded = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text = good;
    for (int k = 0; k < 3; ++k) text[rng() % text.size()] = static_cast<char>(rng() % 256);
    write_file(p, text);
    try {
      copyscope::Run back = load_trace(p);
      summarize(back, nullptr);  // whatever loads must also analyse
      ++loaded;
    } catch (const TraceFileError&) {
      ++rejected;
    }
  }
  EXPECT_EQ(rejected + loaded, 300);
  EXPECT_GT(rejected, 0);
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
  for (const char* name : {"method", "params.size", "params.buffer", "params.cache", "params.sink", "kernel.release",
                           "kernel.copy_accounting", "counters.mode_switches", "counters.context_switches",
                           "counters.cpu_copies", "counters.dma_bytes", "counters.syscalls.read",
                           "counters.page_faults", "counters.events_dropped", "per_call.mode_switches",
                           "per_call.cpu_copies", "per_call.dma_copies", "textbook.mode_switches",
                           "textbook.cpu_copies", "textbook.dma_copies", "sink.mode_switches"})
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

#include <stb/stb_image.h>

#include "export/report.h"

TEST(Report, HtmlAndMarkdownWithChartsThatDecode) {
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
  std::filesystem::create_directories(dir);
  for (const char* name : {"r.html", "r.md"}) {
    SCOPED_TRACE(name);
    const std::string path = (dir / name).string();
    write_report(runs, ss, path);
    const std::string text = read_file(path);
    const bool html = std::string(name) == "r.html";
    if (html) {
      EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u);
      EXPECT_NE(text.find("</html>"), std::string::npos);
      EXPECT_NE(text.find("<table"), std::string::npos);
      EXPECT_EQ(text.find("<script"), std::string::npos);
    } else {
      EXPECT_NE(text.find("| method |"), std::string::npos);
    }
    EXPECT_NE(text.find("6.18.0-test"), std::string::npos);
    EXPECT_NE(text.find("attributed"), std::string::npos);
    EXPECT_NE(text.find("sendfile"), std::string::npos);
    const std::string deviation = html ? "<b>mode switches</b>: textbook 2, measured" : "**mode switches**: textbook 2, measured";
    EXPECT_NE(text.find(deviation), std::string::npos) << "deviations in words:\n" << text.substr(text.find("differs from"));
    for (const char* png : {"r-copies.png", "r-switches.png", "r-timeline-read_write.png", "r-timeline-sendfile.png"}) {
      EXPECT_NE(text.find(png), std::string::npos) << png;
      int w = 0, h = 0, n = 0;
      unsigned char* px = stbi_load((dir / png).string().c_str(), &w, &h, &n, 3);
      ASSERT_NE(px, nullptr) << png << ": " << stbi_failure_reason();
      EXPECT_GE(w, 400);
      EXPECT_GE(h, 150);
      // Not blank: some pixels carry the bar / span colours.
      size_t colored = 0;
      for (int i = 0; i < w * h; ++i) {
        const unsigned char* p = px + 3 * i;
        colored += !(p[0] == p[1] && p[1] == p[2]);
      }
      EXPECT_GT(colored, 500u) << png;
      stbi_image_free(px);
    }
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
