#include "export/trace.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "export/output_file.h"
#include "model/lanes.h"
#include "model/run_json.h"
#include "model/stages.h"

namespace copyscope {

using nlohmann::json;

namespace {

// Viewer-only ids, above any Linux pid (pid_max <= 2^22), below INT32_MAX.
constexpr int64_t kDiskPid = 1 << 30;
constexpr int64_t kOverlapTidBase = (1 << 30) + (1 << 20);

json enum_table(unsigned n, const char* (*name)(unsigned)) {
  json out = json::array();
  for (unsigned i = 0; i < n; ++i) out.push_back(name(i));
  return out;
}

const char* role_label(unsigned role) { return role == CS_ROLE_RECEIVER ? "receiver" : "sender"; }

enum Series { kModeSwitches = 0, kContextSwitches, kPageCachePages, kBytes };

struct CounterStep {
  uint64_t ts;
  int series;  // kBytes + StageKind, or one of the counts below
  uint64_t delta;
};

}  // namespace

namespace {

// The first event's timestamp: trace times are microseconds since it.
uint64_t time_origin(const EventLog& evs) {
  uint64_t t0 = std::numeric_limits<uint64_t>::max();
  for (const Event& e : evs) t0 = std::min<uint64_t>(t0, e.ts);
  return evs.empty() ? 0 : t0;
}

// Every element of "traceEvents", in order, handed one at a time to `emit`:
// the writer streams each to the file and lets it go, so the trace's memory
// does not grow with the run (a document tree of every event took about 5 KB
// an event).
template <typename Emit>
void emit_trace_events(const Run& run, const Summary& summary, uint64_t t0, Emit&& emit) {
  const EventLog& evs = run.events;
  auto us = [t0](uint64_t ts) { return static_cast<double>(ts - t0) / 1000.0; };
  std::map<uint32_t, unsigned> process_role;  // tgid -> role
  std::map<uint32_t, uint32_t> thread_process;
  for (const Event& e : evs) {
    if (e.type == CS_EV_BLOCK && e.tgid == 0) continue;
    process_role.emplace(e.tgid, e.role);
    thread_process.emplace(e.tid, e.tgid);
  }
  uint32_t sender_pid = 0;
  for (const auto& [tgid, role] : process_role)
    if (role == CS_ROLE_SENDER) {
      sender_pid = tgid;
      break;
    }

  for (const auto& [tgid, role] : process_role) {
    emit({{"ph", "M"},
          {"name", "process_name"},
          {"pid", tgid},
          {"tid", 0},
          {"ts", 0},
          {"args", {{"name", std::string(role_label(role)) + " (" + run.params.method + ")"}}}});
    emit({{"ph", "M"},
          {"name", "process_sort_index"},
          {"pid", tgid},
          {"tid", 0},
          {"ts", 0},
          {"args", {{"sort_index", role}}}});
  }
  for (const auto& [tid, tgid] : thread_process) {
    auto it = run.thread_names.find(tid);
    std::string name = it != run.thread_names.end() ? it->second : "thread " + std::to_string(tid);
    emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", tgid}, {"tid", tid}, {"ts", 0}, {"args", {{"name", name}}}});
  }

  // Syscall and block spans, each on a lane where it nests.
  std::map<uint32_t, LaneAllocator> thread_lanes;
  std::map<std::pair<uint32_t, size_t>, int64_t> overlap_tid;  // (tid, lane) -> viewer tid
  LaneAllocator disk_lanes;
  size_t disk_lane_count = 0;
  std::vector<int64_t> span_tid(evs.size(), -1);
  std::vector<CounterStep> steps;
  for (size_t i = 0; i < evs.size(); ++i) {
    const Event& e = evs[i];
    const double ts = us(e.ts);
    if (e.type == CS_EV_SYSCALL) {
      size_t lane = thread_lanes[e.tid].place(e.ts, e.ts + e.dur);
      int64_t tid = e.tid;
      if (lane > 0) {
        auto [it, fresh] = overlap_tid.emplace(std::make_pair(e.tid, lane),
                                               kOverlapTidBase + static_cast<int64_t>(overlap_tid.size()));
        tid = it->second;
        if (fresh)
          emit({{"ph", "M"},
                {"name", "thread_name"},
                {"pid", e.tgid},
                {"tid", tid},
                {"ts", 0},
                {"args", {{"name", "thread " + std::to_string(e.tid) + " (overlap " + std::to_string(lane) + ")"}}}});
      }
      span_tid[i] = tid;
      json args = {
          {"from", fd_kind_name(e.a)}, {"to", fd_kind_name(e.b)}, {"ret", e.ret}, {"count", e.arg1 & ~CS_COUNT_MSG_ZEROCOPY}, {"cpu", e.cpu}};
      if (e.arg1 & CS_COUNT_MSG_ZEROCOPY) args["msg_zerocopy"] = true;
      if (e.ret > 0) args["bytes"] = e.ret;
      emit({{"ph", "X"},
            {"name", syscall_name(e.sys)},
            {"cat", "syscall"},
            {"pid", e.tgid},
            {"tid", tid},
            {"ts", ts},
            {"dur", us(e.ts + e.dur) - ts},
            {"args", std::move(args)}});
      if (e.role == CS_ROLE_SENDER) steps.push_back({e.ts, kModeSwitches, 2});
    } else if (e.type == CS_EV_BLOCK) {
      size_t lane = disk_lanes.place(e.ts, e.ts + e.dur);
      disk_lane_count = std::max(disk_lane_count, lane + 1);
      span_tid[i] = static_cast<int64_t>(lane) + 1;
      emit({{"ph", "X"},
            {"name", e.a ? "disk write" : "disk read"},
            {"cat", "block"},
            {"pid", kDiskPid},
            {"tid", span_tid[i]},
            {"ts", ts},
            {"dur", us(e.ts + e.dur) - ts},
            {"args", {{"sector", e.arg0}, {"bytes", e.arg1}, {"error", e.ret}, {"for_tid", e.tid}}}});
    } else if (e.type == CS_EV_FAULT) {
      emit({{"ph", "i"},
            {"s", "t"},
            {"name", e.a ? "page fault (user)" : "page fault (kernel)"},
            {"cat", "fault"},
            {"pid", e.tgid},
            {"tid", e.tid},
            {"ts", ts},
            {"args", {{"address", e.arg0}, {"error_code", e.arg1}}}});
    } else if (e.type == CS_EV_SWITCH_OUT || e.type == CS_EV_SWITCH_IN) {
      const bool off = e.type == CS_EV_SWITCH_OUT;
      emit({{"ph", "i"},
            {"s", "t"},
            {"name", off ? "off CPU" : "on CPU"},
            {"cat", "sched"},
            {"pid", e.tgid},
            {"tid", e.tid},
            {"ts", ts},
            {"args", {{"cpu", e.cpu}, {"other_tid", e.arg0}}}});
      if (off && e.role == CS_ROLE_SENDER) steps.push_back({e.ts, kContextSwitches, 1});
    } else if (e.type == CS_EV_PHASE) {
      emit({{"ph", "i"},
            {"s", "p"},
            {"name", e.a ? "transfer begins" : "transfer ends"},
            {"cat", "phase"},
            {"pid", e.tgid},
            {"tid", e.tid},
            {"ts", ts}});
    } else if (e.type == CS_EV_FORK || e.type == CS_EV_EXIT) {
      emit({{"ph", "i"},
            {"s", "t"},
            {"name", e.type == CS_EV_FORK ? "fork" : "exit"},
            {"cat", "process"},
            {"pid", e.tgid},
            {"tid", e.tid},
            {"ts", ts},
            {"args", {{"child", e.arg0}}}});
    } else if (e.type == CS_EV_PAGE_CACHE_ADD) {
      if (e.role == CS_ROLE_SENDER)
        steps.push_back({e.ts, kPageCachePages, uint64_t{1} << std::min<unsigned>(e.a, 20)});
    }
  }
  if (disk_lane_count) {
    emit({{"ph", "M"},
          {"name", "process_name"},
          {"pid", kDiskPid},
          {"tid", 0},
          {"ts", 0},
          {"args", {{"name", "disk (block I/O)"}}}});
    emit({{"ph", "M"},
          {"name", "process_sort_index"},
          {"pid", kDiskPid},
          {"tid", 0},
          {"ts", 0},
          {"args", {{"sort_index", 2}}}});
    for (size_t l = 1; l <= disk_lane_count; ++l)
      emit({{"ph", "M"},
            {"name", "thread_name"},
            {"pid", kDiskPid},
            {"tid", l},
            {"ts", 0},
            {"args", {{"name", "requests in flight, lane " + std::to_string(l)}}}});
  }

  // Bytes by stage kind, as the model placed them: they end at the summary's stage sums.
  {
    const StageTimeline timeline = place_stages(run, summary.stages);
    for (const StagePoint& p : timeline.points)
      if (p.stage < summary.stages.size())
        steps.push_back({p.ts, kBytes + static_cast<int>(summary.stages[p.stage].kind), p.bytes});
  }

  // Cumulative counters of the sender, one sample per change.
  std::stable_sort(steps.begin(), steps.end(), [](const CounterStep& a, const CounterStep& b) { return a.ts < b.ts; });
  uint64_t total[kBytes + 4] = {};
  for (const CounterStep& s : steps) {
    total[s.series] += s.delta;
    const double ts = us(s.ts);
    json c = {{"ph", "C"}, {"pid", sender_pid}, {"tid", 0}, {"ts", ts}};
    switch (s.series) {
      case kModeSwitches:
        c["name"] = "mode switches";
        c["args"] = {{"count", total[kModeSwitches]}};
        break;
      case kContextSwitches:
        c["name"] = "context switches";
        c["args"] = {{"count", total[kContextSwitches]}};
        break;
      case kPageCachePages:
        c["name"] = "page cache pages added";
        c["args"] = {{"pages", total[kPageCachePages]}};
        break;
      default:
        c["name"] = "bytes moved";
        c["args"] = {{"cpu_copy", total[kBytes + static_cast<int>(StageKind::CpuCopy)]},
                     {"dma", total[kBytes + static_cast<int>(StageKind::Dma)]},
                     {"page_ref", total[kBytes + static_cast<int>(StageKind::PageRef)]},
                     {"loopback_handoff", total[kBytes + static_cast<int>(StageKind::Handoff)]}};
    }
    emit(std::move(c));
  }
  std::vector<CounterStep>().swap(steps);

  // Flows: a disk read's completion to the syscall that consumed its pages:
  // the syscall waiting when it completed, else the first one after. Both
  // are the first file read (in log order) that ends at or after the
  // completion, found by binary search over the running maximum of the
  // reads' ends rather than by a scan of every read for every request.
  std::vector<size_t> file_reads;
  std::vector<uint64_t> ends_by;  // max(end of file_reads[0..k])
  for (size_t i = 0; i < evs.size(); ++i)
    if (evs[i].type == CS_EV_SYSCALL && evs[i].role == CS_ROLE_SENDER &&
        (evs[i].a == CS_FD_FILE || evs[i].a == CS_FD_FILE_DIRECT)) {
      const Event& s = evs[i];
      const uint64_t end = s.ts + s.dur < s.ts ? std::numeric_limits<uint64_t>::max() : s.ts + s.dur;
      file_reads.push_back(i);
      ends_by.push_back(ends_by.empty() ? end : std::max(ends_by.back(), end));
    }
  uint64_t flow_id = 1;
  for (size_t i = 0; i < evs.size(); ++i) {
    const Event& b = evs[i];
    if (b.type != CS_EV_BLOCK || b.a || b.role != CS_ROLE_SENDER) continue;
    const uint64_t done = b.ts + b.dur;
    const auto found = std::lower_bound(ends_by.begin(), ends_by.end(), done);
    if (found == ends_by.end()) continue;
    const size_t best = file_reads[static_cast<size_t>(found - ends_by.begin())];
    const Event& s = evs[best];
    const uint64_t at = std::clamp<uint64_t>(done, s.ts, s.ts + s.dur);
    emit({{"ph", "s"},
          {"id", flow_id},
          {"name", "disk -> page cache -> " + std::string(syscall_name(s.sys))},
          {"cat", "dataflow"},
          {"pid", kDiskPid},
          {"tid", span_tid[i]},
          {"ts", us(b.ts + b.dur / 2)}});
    emit({{"ph", "f"},
          {"bp", "e"},
          {"id", flow_id},
          {"name", "disk -> page cache -> " + std::string(syscall_name(s.sys))},
          {"cat", "dataflow"},
          {"pid", s.tgid},
          {"tid", span_tid[best]},
          {"ts", us(at)}});
    ++flow_id;
  }
}

json trace_other_data(const Run& run) {
  return {{"tool", "copyscope"}, {"method", run.params.method}, {"kernel", run.kernel.release}};
}

json trace_enums() {
  return {{"sys", enum_table(CS_SYS_MAX, syscall_name)},
          {"fd", enum_table(CS_FD_MAX, fd_kind_name)},
          {"type", enum_table(CS_EV_MAX, event_type_name)}};
}

json trace_event_fields() {
  json fields = json::array();
  for (const char* f : kTraceEventFields) fields.push_back(f);
  return fields;
}

// Text gathered in blocks and handed on a block at a time.
class TraceText {
 public:
  explicit TraceText(const std::function<void(std::string_view)>& sink) : sink_(sink) { buf_.reserve(kBlock + 4096); }
  void put(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kBlock) flush();
  }
  void put_json(const json& j) { put(std::string_view(j.dump())); }
  template <typename Int>
  void num(Int v) {
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, static_cast<size_t>(r.ptr - tmp));
  }
  void flush() {
    if (!buf_.empty()) sink_(buf_);
    buf_.clear();
  }

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  const std::function<void(std::string_view)>& sink_;
  std::string buf_;
};

// The keys of each object in the order nlohmann::json writes them (sorted),
// so that the streamed file is the text trace_to_json(...).dump() gives.
void stream_trace(const Run& run, const Summary& summary, const std::function<void(std::string_view)>& sink) {
  const EventLog& evs = run.events;
  const uint64_t t0 = time_origin(evs);
  TraceText out(sink);
  out.put("{\"copyscope\":{\"enums\":");
  out.put_json(trace_enums());
  out.put(",\"event_fields\":");
  out.put_json(trace_event_fields());
  out.put(",\"events\":[");
  for (size_t i = 0; i < evs.size(); ++i) {
    const Event& e = evs[i];
    out.put(i ? ",[" : "[");
    out.num(e.ts);
    out.put(",");
    out.num(e.dur);
    out.put(",");
    out.num(e.arg0);
    out.put(",");
    out.num(e.arg1);
    out.put(",");
    out.num(e.ret);
    out.put(",");
    out.num(e.tgid);
    out.put(",");
    out.num(e.tid);
    out.put(",");
    out.num(e.sys);
    out.put(",");
    out.num(e.cpu);
    out.put(",");
    out.num(e.type);
    out.put(",");
    out.num(e.role);
    out.put(",");
    out.num(e.a);
    out.put(",");
    out.num(e.b);
    out.put("]");
  }
  out.put("],\"format\":");
  out.num(kTraceFormat);
  out.put(",\"run\":");
  out.put_json(run_to_json(run));
  out.put(",\"summary\":");
  out.put_json(to_json(summary));
  out.put(",\"time_origin_ns\":");
  out.num(t0);
  out.put("},\"displayTimeUnit\":\"ns\",\"otherData\":");
  out.put_json(trace_other_data(run));
  out.put(",\"traceEvents\":[");
  bool first = true;
  emit_trace_events(run, summary, t0, [&](const json& e) {
    if (!first) out.put(",");
    first = false;
    out.put_json(e);
  });
  out.put("]}\n");
  out.flush();
}

}  // namespace

json trace_to_json(const Run& run, const Summary& summary) {
  const uint64_t t0 = time_origin(run.events);
  json out = json::array();
  emit_trace_events(run, summary, t0, [&](json e) { out.push_back(std::move(e)); });
  json events = json::array();
  for (const Event& e : run.events)
    events.push_back(
        json::array({e.ts, e.dur, e.arg0, e.arg1, e.ret, e.tgid, e.tid, e.sys, e.cpu, e.type, e.role, e.a, e.b}));
  return {{"traceEvents", std::move(out)},
          {"displayTimeUnit", "ns"},
          {"otherData", trace_other_data(run)},
          {"copyscope",
           {{"format", kTraceFormat},
            {"time_origin_ns", t0},
            {"run", run_to_json(run)},
            {"summary", to_json(summary)},
            {"enums", trace_enums()},
            {"event_fields", trace_event_fields()},
            {"events", std::move(events)}}}};
}

void write_trace(const Run& run, const Summary& summary, const std::function<void(std::string_view)>& sink) {
  stream_trace(run, summary, sink);
}

void write_trace(const Run& run, const Summary& summary, OutputFile& out) {
  stream_trace(run, summary, [&out](std::string_view text) { out.write(text); });
}

void write_trace(const Run& run, const Summary& summary, const std::string& path) {
  OutputFile out(path, "trace");
  write_trace(run, summary, out);
  out.commit();
}

namespace {

bool is_num(const json& v) { return v.is_number(); }

}  // namespace

std::vector<std::string> check_trace_events(const json& doc) {
  std::vector<std::string> problems;
  auto report = [&](size_t i, const std::string& what) {
    if (problems.size() < 50) problems.push_back("traceEvents[" + std::to_string(i) + "]: " + what);
  };
  if (!doc.is_object() || !doc.contains("traceEvents") || !doc["traceEvents"].is_array()) {
    problems.push_back("no traceEvents array");
    return problems;
  }
  const json& evs = doc["traceEvents"];
  static const std::set<std::string> kPhases = {"B", "E", "X", "i", "I", "C", "M", "s", "t", "f",
                                                "b", "n", "e", "P", "N", "O", "D", "R", "c"};
  struct Span {
    double start, end;
    size_t index;
  };
  std::map<std::pair<int64_t, int64_t>, std::vector<Span>> spans;
  for (size_t i = 0; i < evs.size(); ++i) {
    const json& e = evs[i];
    if (!e.is_object()) {
      report(i, "not an object");
      continue;
    }
    if (!e.contains("ph") || !e["ph"].is_string() || !kPhases.count(e["ph"].get<std::string>())) {
      report(i, "missing or unknown ph");
      continue;
    }
    const std::string ph = e["ph"];
    for (const char* k : {"pid", "tid"})
      if (!e.contains(k) || !e[k].is_number_integer()) report(i, std::string("missing integer ") + k);
    if (!e.contains("ts") || !is_num(e["ts"]) || e["ts"].get<double>() < 0) report(i, "missing or negative ts");
    if (ph != "M" && (!e.contains("name") || !e["name"].is_string())) report(i, "missing name");
    if (ph == "X") {
      if (!e.contains("dur") || !is_num(e["dur"]) || e["dur"].get<double>() < 0) {
        report(i, "X without dur >= 0");
        continue;
      }
      if (e.contains("pid") && e["pid"].is_number_integer() && e.contains("tid") && e["tid"].is_number_integer() &&
          e.contains("ts") && is_num(e["ts"])) {
        double ts = e["ts"].get<double>();
        spans[{e["pid"].get<int64_t>(), e["tid"].get<int64_t>()}].push_back({ts, ts + e["dur"].get<double>(), i});
      }
    }
    if (ph == "C") {
      if (!e.contains("args") || !e["args"].is_object() || e["args"].empty())
        report(i, "counter without args");
      else
        for (const auto& [k, v] : e["args"].items())
          if (!v.is_number()) report(i, "counter " + k + " is not numeric");
    }
    if ((ph == "s" || ph == "t" || ph == "f") && !e.contains("id")) report(i, "flow event without id");
    if (ph == "i" && e.contains("s") &&
        (!e["s"].is_string() || std::string("gpt").find(e["s"].get<std::string>()) == std::string::npos))
      report(i, "instant with bad scope");
  }
  // Per thread: sorted by start (longer first on ties), every span must end
  // before the span it starts inside of ends.
  constexpr double kEps = 1e-6;
  for (auto& [key, list] : spans) {
    std::sort(list.begin(), list.end(),
              [](const Span& a, const Span& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; });
    std::vector<Span> open;
    for (const Span& s : list) {
      while (!open.empty() && open.back().end <= s.start + kEps) open.pop_back();
      if (!open.empty() && s.end > open.back().end + kEps)
        report(s.index, "slice overlaps traceEvents[" + std::to_string(open.back().index) + "] on pid " +
                            std::to_string(key.first) + " tid " + std::to_string(key.second) + " without nesting");
      open.push_back(s);
    }
  }
  return problems;
}

}  // namespace copyscope
