// Loading a trace without building a document tree. A validating scanner runs
// over the file's bytes (mapped, not copied): the rows of copyscope.events go
// straight into Event records, the small members of "copyscope" (format, run,
// enums) are parsed by nlohmann from their own text, and everything else
// ("traceEvents", for the viewers) is only checked to be well-formed JSON.
//
// A trace is untrusted input (a recording from anyone, opened without
// privileges): every limit below is checked as the bytes are scanned, so a
// hostile file costs time linear in its size and memory bounded by the
// limits, and every refusal is one TraceFileError line. Nothing read from a
// trace reaches a terminal, a window or a path unsanitized.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>

#include "export/trace.h"
#include "export/trace_scan.h"
#include "methods.h"
#include "model/run_json.h"
#include "model/textbook.h"

namespace copyscope {

using nlohmann::json;

using namespace trace_scan;  // the scanner, its limits, printable() and fail()

namespace {

// "run", "summary", "enums" become document trees, which take up to about
// twenty times their text: bounded so that stays well under 1 GiB. Real ones
// are a few KiB.
constexpr size_t kMaxMemberBytes = 16 << 20;
// A loaded event takes sizeof(Event) (56 bytes): this bounds them to under
// 1 GiB, more than a 2 GiB file of real rows holds.
constexpr size_t kMaxEvents = kMaxLoggedEvents;
// Every count or byte total of a run is below this (64 PiB), so the sums the
// analysis forms over them cannot wrap.
constexpr uint64_t kMaxCounter = uint64_t{1} << 56;

// What the scan found, checked once the whole text is known to be JSON.
struct Found {
  char top = 0;            // first character of the top-level value
  bool copyscope = false;  // a "copyscope" member was there
  bool copyscope_object = false;
  std::map<std::string, std::string_view> members;  // of copyscope, but events
  bool events = false, events_array = false;
  EventLog rows;            // enum values as written; mapped after the scan
  std::string event_error;  // the first bad row
};

void read_row(Scanner& sc, size_t row, Found& f) {
  Cell cells[kTraceEventFieldCount];
  size_t n = 0;
  auto row_error = [&] {
    if (f.event_error.empty())
      f.event_error = "copyscope.events[" + std::to_string(row) + "] is not an array of " +
                      std::to_string(kTraceEventFieldCount) + " numbers";
  };
  if (sc.peek() != '[') {
    row_error();
    sc.skip_value(3);
    return;
  }
  sc.expect('[');
  if (sc.peek() == ']') {
    sc.expect(']');
  } else {
    do {
      const char c = sc.peek();
      Cell cell;
      if (c == '-' || is_digit(c))
        sc.number(&cell);
      else
        cell.text = sc.value_text(4);
      if (n < kTraceEventFieldCount) cells[n] = cell;
      ++n;
    } while (sc.next(']'));
  }
  if (!f.event_error.empty()) return;  // the run is rejected anyway: only check the syntax
  if (n != kTraceEventFieldCount) return row_error();
  bool ok = true;
  auto u = [&](size_t col, uint64_t max) -> uint64_t {
    const Cell& c = cells[col];
    if (ok && (!c.number || !c.integer || c.negative || c.magnitude > max)) {
      ok = false;
      f.event_error = "copyscope.events[" + std::to_string(row) + "]." + kTraceEventFields[col] + " = " +
                      std::string(c.text.substr(0, 40)) + " is out of range (0.." + std::to_string(max) + ")";
    }
    return c.magnitude;
  };
  Event e{};
  e.ts = u(0, UINT64_MAX);
  e.dur = u(1, UINT64_MAX);
  e.arg0 = u(2, UINT64_MAX);
  e.arg1 = u(3, UINT64_MAX);
  const Cell& r = cells[4];
  if (r.number && r.integer && !r.negative && r.magnitude <= static_cast<uint64_t>(INT64_MAX)) {
    e.ret = static_cast<int64_t>(r.magnitude);
  } else if (r.number && r.integer && r.negative && r.magnitude <= (uint64_t{1} << 63)) {
    e.ret = static_cast<int64_t>(~r.magnitude + 1);  // two's complement, exact down to INT64_MIN
  } else if (ok) {
    ok = false;
    f.event_error = "copyscope.events[" + std::to_string(row) + "].ret is not a 64-bit integer";
  }
  e.tgid = static_cast<uint32_t>(u(5, UINT32_MAX));
  e.tid = static_cast<uint32_t>(u(6, UINT32_MAX));
  e.sys = static_cast<uint16_t>(u(7, UINT16_MAX));
  e.cpu = static_cast<uint16_t>(u(8, UINT16_MAX));
  e.type = static_cast<uint8_t>(u(9, UINT8_MAX));
  e.role = static_cast<uint8_t>(u(10, CS_ROLE_MAX - 1));
  e.a = static_cast<uint8_t>(u(11, UINT8_MAX));
  e.b = static_cast<uint8_t>(u(12, UINT8_MAX));
  if (ok) f.rows.push_back(e);
}

void read_events(Scanner& sc, Found& f) {
  f.events = true;
  f.rows.clear();
  f.event_error.clear();
  f.events_array = sc.peek() == '[';
  if (!f.events_array) return sc.skip_value(2);
  sc.expect('[');
  if (sc.peek() == ']') return sc.expect(']');
  size_t row = 0;
  do {
    if (row == kMaxEvents)
      fail("copyscope.events holds more than " + std::to_string(kMaxEvents) +
           " events, the most copyscope loads (they would take over 1 GiB)");
    read_row(sc, row++, f);
  } while (sc.next(']'));
}

// The last "copyscope" member wins, as in any JSON reader that keeps one.
void read_copyscope(Scanner& sc, Found& f) {
  const char top = f.top;
  f = Found();
  f.top = top;
  f.copyscope = true;
  f.copyscope_object = sc.peek() == '{';
  if (!f.copyscope_object) return sc.skip_value(1);
  sc.expect('{');
  if (sc.peek() == '}') return sc.expect('}');
  do {
    const std::string k = sc.key();
    sc.expect(':');
    if (k == "events")
      read_events(sc, f);
    else
      f.members[k] = sc.value_text(2);
  } while (sc.next('}'));
}

// Maps a value written under the file's enum table to this build's value.
std::vector<int> remap_table(const json& names, const char* what, unsigned max, const char* (*name)(unsigned)) {
  if (!names.is_array()) fail(std::string("copyscope.enums.") + what + " is not an array");
  std::vector<int> map;
  for (const json& n : names) {
    if (!n.is_string()) fail(std::string("copyscope.enums.") + what + " holds a non-string");
    int found = -1;
    for (unsigned i = 0; i < max; ++i)
      if (n.get<std::string>() == name(i)) found = static_cast<int>(i);
    map.push_back(found);
  }
  return map;
}

uint8_t remap(const std::vector<int>& map, uint64_t v, size_t row, const char* what) {
  if (v >= map.size() || map[v] < 0)
    fail("copyscope.events[" + std::to_string(row) + "]." + what + " = " + std::to_string(v) + " is not a known value");
  return static_cast<uint8_t>(map[v]);
}

bool ends_with(const std::string& s, const char* tail) {
  const size_t n = std::strlen(tail);
  return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

// Long texts of the run, which may hold a few sentences; every other string
// is a name.
bool is_note(const std::string& where) {
  return where == "copyscope.run.kernel.copy_accounting_why" || where == "copyscope.run.result.error" ||
         (where.rfind("copyscope.run.kernel.hooks[", 0) == 0 && ends_with(where, "].detail")) ||
         where.rfind("copyscope.run.result.extra", 0) == 0 || where.rfind("copyscope.run.result.sink", 0) == 0;
}

// The receiver's and sender's read/write split of disk DMA is only compared
// (never added up) by the analysis, so any 64-bit value is kept as written.
bool exempt_from_counter_limit(const std::string& where) {
  return ends_with(where, ".dma_read_bytes") || ends_with(where, ".dma_write_bytes");
}

std::string bounded(const std::string& s) {
  std::string out = printable(s, 64);
  return out;
}

// Over the run's tree (at most kMaxDepth deep, so recursion is bounded):
// strings and keys made printable and bounded, numbers bounded so that no sum
// of them wraps.
void clean_tree(json& j, const std::string& where) {
  if (j.is_string()) {
    std::string& s = j.get_ref<std::string&>();
    const size_t max = is_note(where) ? kMaxStringBytes : kMaxNameBytes;
    if (s.size() > max)
      fail(where + ": a text of " + std::to_string(s.size()) + " bytes, longer than the " + std::to_string(max) +
           " a trace may hold there");
    std::string clean = printable(s, SIZE_MAX, is_note(where));
    if (clean != s) s = std::move(clean);
  } else if (j.is_number_unsigned()) {
    if (j.get<uint64_t>() > kMaxCounter && !exempt_from_counter_limit(where))
      fail(where + " = " + j.dump() + " is larger than any run counts (at most 2^56)");
  } else if (j.is_number_integer()) {
    if (j.get<int64_t>() < -static_cast<int64_t>(kMaxCounter)) fail(where + " = " + j.dump() + " is out of range");
  } else if (j.is_number_float()) {
    const double v = j.get<double>();
    if (!(v >= -static_cast<double>(kMaxCounter) && v <= static_cast<double>(kMaxCounter)))
      fail(where + " = " + j.dump() + " is out of range");
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) clean_tree(j[i], where + "[" + std::to_string(i) + "]");
  } else if (j.is_object()) {
    bool keys_clean = true;
    for (const auto& [k, v] : j.items()) {
      if (k.size() > kMaxNameBytes)
        fail(where + ": a member name of " + std::to_string(k.size()) + " bytes, longer than the " +
             std::to_string(kMaxNameBytes) + " a trace may hold");
      keys_clean = keys_clean && printable(k) == k;
    }
    if (!keys_clean) {
      json renamed = json::object();
      for (auto& [k, v] : j.items()) renamed[printable(k)] = std::move(v);
      j = std::move(renamed);
    }
    for (auto& [k, v] : j.items()) clean_tree(v, where + "." + k);
  }
}

// The method names a row of the method table (never a path: report charts are
// named after it), and cache and sink are ones it runs with.
void check_params(const RunParams& p) {
  if (p.method == kTraceMethod) {  // a traced program (copyscope trace): no scenario, no sink of its own
    if (p.sink != kTraceSink) fail("copyscope.run.params.sink of a traced program must be '" + std::string(kTraceSink) + "'");
    return;
  }
  const scenario::MethodInfo* m = scenario::method_info(p.method);
  if (!m) fail("copyscope.run.params.method '" + bounded(p.method) + "' is not a method copyscope knows");
  if (p.cache != "cold" && p.cache != "warm")
    fail("copyscope.run.params.cache '" + bounded(p.cache) + "' is neither cold nor warm");
  if (!scenario::method_supports_sink(*m, p.sink))
    fail("copyscope.run.params.sink '" + bounded(p.sink) + "' is not a sink " + p.method + " runs with");
}

uint64_t summary_u64(const json& obj, const std::string& where, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned())
    fail(where + "." + key + " is missing or not a non-negative integer");
  return it->get<uint64_t>();
}

// The run's summary as exported beside it: its stages add up, per kind, to its
// counters (tests/unit/invariants_test.cpp), and those are what the run's own
// counters give again here. A trace edited in one place and not the other is
// refused, naming the fields the two sides come from.
void check_counters(const Run& run, const json& summary) {
  if (!summary.is_object()) fail("copyscope.summary is not an object");
  const auto cit = summary.find("counters");
  if (cit == summary.end() || !cit->is_object()) fail("copyscope.summary.counters is missing or not an object");
  const auto sit = summary.find("stages");
  if (sit == summary.end() || !sit->is_array()) fail("copyscope.summary.stages is missing or not an array");
  const json& counters = *cit;
  struct Kind {
    const char* stage;
    const char* counter;
    uint64_t sum = 0;
  };
  Kind kinds[] = {{"cpu_copy", "cpu_copy_bytes"}, {"dma", "dma_bytes"}, {"handoff", "loopback_handoff_bytes"}};
  for (size_t i = 0; i < sit->size(); ++i) {
    const json& st = (*sit)[i];
    const std::string w = "copyscope.summary.stages[" + std::to_string(i) + "]";
    if (!st.is_object()) fail(w + " is not an object");
    const auto kind = st.find("kind");
    if (kind == st.end() || !kind->is_string()) fail(w + ".kind is missing or not a string");
    const uint64_t bytes = summary_u64(st, w, "bytes");
    const std::string& k = kind->get_ref<const std::string&>();
    if (k == "page_ref") continue;
    Kind* found = nullptr;
    for (Kind& kd : kinds)
      if (k == kd.stage) found = &kd;
    if (!found) fail(w + ".kind '" + bounded(k) + "' is not a kind of stage");
    if (bytes > UINT64_MAX - found->sum) fail(w + ".bytes: the " + k + " stages add up to more than 2^64");
    found->sum += bytes;
  }
  for (const Kind& kd : kinds) {
    const uint64_t c = summary_u64(counters, "copyscope.summary.counters", kd.counter);
    if (c != kd.sum)
      fail(std::string("copyscope.summary.counters.") + kd.counter + " = " + std::to_string(c) + ", but its " +
           kd.stage + " stages add up to " + std::to_string(kd.sum));
  }

  // The run analysed again: what the trace shows is worked out from the run,
  // never read from the summary. Scenario facts of the wrong type surface here.
  Summary again;
  try {
    const TextbookMethod* tb = nullptr;
    try {
      tb = Textbook::builtin().find(run.params.method);
    } catch (const std::exception&) {
      tb = nullptr;  // no textbook assets here: the counters do not depend on them
    }
    again = summarize(run, tb);
  } catch (const json::exception&) {
    fail("copyscope.run.result.extra or .sink: a fact of the scenario has the wrong type");
  }
  const std::string sender = "copyscope.run.counters.sender.";
  auto sources = [&](const char* counter) {
    std::string s;
    if (std::string(counter) == "dma_bytes") return sender + "dma_bytes and " + sender + "net_xmit_bytes";
    if (std::string(counter) == "loopback_handoff_bytes") return sender + "loopback_xmit_bytes";
    if (again.counters.copies_measured) {
      for (size_t i = 0; i < run.measured_copies.size(); ++i)
        if (run.measured_copies[i].role == Role::Sender)
          s += (s.empty() ? "" : ", ") + std::string("copyscope.run.measured_copies[") + std::to_string(i) + "].bytes";
    } else {
      for (size_t i = 0; i < run.flows.size(); ++i)
        if (run.flows[i].role == Role::Sender)
          s += (s.empty() ? "" : ", ") + std::string("copyscope.run.flows[") + std::to_string(i) + "].bytes";
      s += (s.empty() ? "" : ", ") + std::string("copyscope.run.kernel.nic_sg, copyscope.run.result.extra");
    }
    return s.empty() ? std::string("copyscope.run") : s;
  };
  const uint64_t recomputed[] = {again.counters.cpu_copy_bytes, again.counters.dma_bytes,
                                 again.counters.loopback_bytes};
  for (size_t k = 0; k < std::size(kinds); ++k) {
    const uint64_t c = summary_u64(counters, "copyscope.summary.counters", kinds[k].counter);
    if (c != recomputed[k])
      fail(std::string("copyscope.summary.counters.") + kinds[k].counter + " = " + std::to_string(c) +
           " disagrees with the run: " + sources(kinds[k].counter) + " give " + std::to_string(recomputed[k]));
  }
}

}  // namespace

namespace {

Run trace_from_view(std::string_view text, bool mapped) {
  Found f;
  try {
    Scanner sc(text, mapped);
    f.top = sc.peek();
    if (f.top != '{') {
      sc.skip_value(0);
    } else {
      sc.expect('{');
      if (sc.peek() == '}') {
        sc.expect('}');
      } else {
        do {
          const std::string k = sc.key();
          sc.expect(':');
          if (k == "copyscope")
            read_copyscope(sc, f);
          else
            sc.skip_value(1);
        } while (sc.next('}'));
      }
    }
    if (!sc.at_end()) sc.error();
  } catch (const SyntaxError& e) {
    if (e.at_end) fail("truncated: the JSON ends early (after " + std::to_string(text.size()) + " bytes)");
    fail("not JSON (byte " + std::to_string(e.byte) + ")");
  }

  if (f.top != '{') fail(std::string("not a trace: the top level is ") + type_name_of(f.top) + ", not an object");
  if (!f.copyscope || !f.copyscope_object)
    fail("no \"copyscope\" object: not a trace exported by copyscope, so the run cannot be rebuilt");
  auto member = [&](const char* k) -> std::optional<json> {
    auto it = f.members.find(k);
    if (it == f.members.end()) return std::nullopt;
    if (it->second.size() > kMaxMemberBytes)
      fail(std::string("copyscope.") + k + " is " + std::to_string(it->second.size() >> 20) + " MiB, more than the " +
           std::to_string(kMaxMemberBytes >> 20) + " MiB copyscope reads");
    // The scan has bounded the depth already; the parser checks it again so
    // that no tree deeper than that is ever built.
    const json::parser_callback_t depth_limit = [](int depth, json::parse_event_t, json&) {
      if (depth > static_cast<int>(kMaxDepth)) throw std::length_error("nested too deeply");
      return true;
    };
    try {
      return json::parse(it->second.begin(), it->second.end(), depth_limit);
    } catch (const json::parse_error& e) {  // what the scan does not check, e.g. a lone surrogate
      fail("not JSON (byte " + std::to_string(static_cast<size_t>(it->second.data() - text.data()) + e.byte) + ")");
    } catch (const json::exception&) {
      fail(std::string("copyscope.") + k + " holds a value out of range");
    } catch (const std::length_error&) {
      fail(std::string("copyscope.") + k + " is nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
  };
  const std::optional<json> fmt = member("format");
  if (!fmt || !fmt->is_number_integer()) fail("copyscope.format is missing: not a trace exported by copyscope");
  if (fmt->get<int64_t>() != kTraceFormat)
    fail("format version " + fmt->dump() + " is not supported (this copyscope reads format " +
         std::to_string(kTraceFormat) + ")");
  std::optional<json> run_json = member("run");
  if (!run_json) fail("copyscope.run is missing");
  clean_tree(*run_json, "copyscope.run");
  Run run;
  try {
    run = run_from_json(*run_json);
  } catch (const std::runtime_error& e) {
    fail(std::string("copyscope.") + e.what());
  } catch (const json::exception&) {
    fail("copyscope.run: a member has the wrong type");
  }
  check_params(run.params);
  const std::optional<json> summary = member("summary");
  if (!summary) fail("copyscope.summary is missing");
  const std::optional<json> en = member("enums");
  if (!en || !en->is_object()) fail("copyscope.enums is missing");
  auto table = [&](const char* k) -> const json& {
    auto it = en->find(k);
    if (it == en->end()) fail(std::string("copyscope.enums.") + k + " is missing");
    return *it;
  };
  const std::vector<int> sys_map = remap_table(table("sys"), "sys", CS_SYS_MAX, syscall_name);
  const std::vector<int> fd_map = remap_table(table("fd"), "fd", CS_FD_MAX, fd_kind_name);
  const std::vector<int> type_map = remap_table(table("type"), "type", CS_EV_MAX, event_type_name);
  if (!f.events || !f.events_array) fail("copyscope.events is missing or not an array");
  if (!f.event_error.empty()) fail(f.event_error);
  for (size_t row = 0; row < f.rows.size(); ++row) {
    Event& e = f.rows[row];
    e.type = remap(type_map, e.type, row, "type");
    if (e.type == CS_EV_SYSCALL) {
      e.sys = remap(sys_map, e.sys, row, "sys");
      e.a = remap(fd_map, e.a, row, "a (source kind)");
      e.b = remap(fd_map, e.b, row, "b (destination kind)");
    }
    if (e.ts > UINT64_MAX - e.dur) fail("copyscope.events[" + std::to_string(row) + "]: ts + dur overflows");
    if (!kept_at_stride(e, run.event_stride))
      fail("copyscope.events[" + std::to_string(row) + "] lies in a window that event_stride " +
           std::to_string(run.event_stride) + " leaves out");
  }
  run.events = std::move(f.rows);
  check_counters(run, *summary);
  return run;
}

}  // namespace

Run trace_from_text(std::string_view text) { return trace_from_view(text, false); }

Run trace_from_json(const json& doc) {
  // Dumping recurses: a tree deeper than any trace is refused before.
  std::vector<std::pair<const json*, size_t>> open{{&doc, 1}};
  while (!open.empty()) {
    const auto [j, depth] = open.back();
    open.pop_back();
    if (!j->is_structured()) continue;
    if (depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    for (const json& child : *j) open.push_back({&child, depth + 1});
  }
  return trace_from_text(doc.dump(-1, ' ', false, json::error_handler_t::replace));
}

Run load_trace(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    fail(path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    fail(path + ": is a directory, not a trace file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxTraceFileBytes) {
    close(fd);
    fail(path + ": " + std::to_string(size >> 20) + " MiB is larger than the 2 GiB limit for a trace");
  }
  if (size == 0) {
    close(fd);
    fail(path + ": the file is empty");
  }
  // Mapped, not read: the page cache is the only copy, and it is let go at once.
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  close(fd);
  if (map == MAP_FAILED) fail(path + ": cannot read: " + std::strerror(err));
  madvise(map, size, MADV_SEQUENTIAL);
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { munmap(p, n); }
  } unmap{map, size};
  const std::string_view text(static_cast<const char*>(map), size);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) fail(path + ": the file is empty");
  try {
    return trace_from_view(text, true);
  } catch (const TraceFileError& e) {
    fail(path + ": " + e.what());
  }
}

}  // namespace copyscope
