// Loading a trace without building a document tree. A validating scanner runs
// over the file's bytes (mapped, not copied): the rows of copyscope.events go
// straight into Event records, the small members of "copyscope" (format, run,
// enums) are parsed by nlohmann from their own text, and everything else
// ("traceEvents", for the viewers) is only checked to be well-formed JSON.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "export/trace.h"
#include "model/run_json.h"

namespace copyscope {

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& why) { throw TraceFileError(why); }

// Where the bytes stop being JSON; `at_end`: they ran out (a truncated file).
struct SyntaxError {
  size_t byte;
  bool at_end;
};

// One value of an event row.
struct Cell {
  bool number = false;   // a JSON number
  bool integer = false;  // no fraction, no exponent, magnitude fits 64 bits
  bool negative = false;
  uint64_t magnitude = 0;
  std::string_view text;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

class Scanner {
 public:
  explicit Scanner(std::string_view s) : b_(s.data()), p_(s.data()), e_(s.data() + s.size()) {}

  [[noreturn]] void error() const { throw SyntaxError{static_cast<size_t>(p_ - b_), p_ >= e_}; }
  void ws() {
    while (p_ < e_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool at_end() {
    ws();
    return p_ >= e_;
  }
  char peek() {
    ws();
    if (p_ >= e_) error();
    return *p_;
  }
  void expect(char c) {
    if (peek() != c) error();
    ++p_;
  }
  // After a member or an element: true on ',', false on the closing bracket.
  bool next(char close) {
    const char c = peek();
    if (c != ',' && c != close) error();
    ++p_;
    return c == ',';
  }

  std::string_view string_raw();  // the text between the quotes, escapes as written
  std::string key();              // a member name, unescaped
  void number(Cell* c);
  void skip_value();
  std::string_view value_text() {
    ws();
    const char* s = p_;
    skip_value();
    return {s, static_cast<size_t>(p_ - s)};
  }

 private:
  void utf8();
  void literal(const char* word);

  const char* b_;
  const char* p_;
  const char* e_;
};

std::string_view Scanner::string_raw() {
  expect('"');
  const char* s = p_;
  for (;;) {
    if (p_ >= e_) error();
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      std::string_view v(s, static_cast<size_t>(p_ - s));
      ++p_;
      return v;
    }
    if (c == '\\') {
      if (++p_ >= e_) error();
      const char x = *p_;
      if (x == 'u') {
        for (int i = 0; i < 4; ++i) {
          if (++p_ >= e_) error();
          if (!is_hex(*p_)) error();
        }
        ++p_;
      } else if (x != 0 && std::strchr("\"\\/bfnrt", x)) {
        ++p_;
      } else {
        error();
      }
    } else if (c < 0x20) {
      error();  // control characters must be escaped
    } else if (c < 0x80) {
      ++p_;
    } else {
      utf8();
    }
  }
}

// One well-formed UTF-8 sequence (Unicode 15, table 3-7).
void Scanner::utf8() {
  const auto c = static_cast<unsigned char>(*p_);
  int tail = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    tail = 1;
  else if (c == 0xE0)
    tail = 2, lo = 0xA0;
  else if (c == 0xED)
    tail = 2, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF)
    tail = 2;
  else if (c == 0xF0)
    tail = 3, lo = 0x90;
  else if (c == 0xF4)
    tail = 3, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3)
    tail = 3;
  else
    error();
  ++p_;
  for (int i = 0; i < tail; ++i, ++p_) {
    if (p_ >= e_) error();
    const auto t = static_cast<unsigned char>(*p_);
    if (t < (i == 0 ? lo : 0x80) || t > (i == 0 ? hi : 0xBF)) error();
  }
}

std::string Scanner::key() {
  const char* at = (ws(), p_);
  const std::string_view raw = string_raw();
  if (raw.find('\\') == std::string_view::npos) return std::string(raw);
  try {
    return json::parse(at, at + raw.size() + 2).get<std::string>();
  } catch (const json::exception&) {
    p_ = at;
    error();  // e.g. a lone surrogate
  }
}

void Scanner::number(Cell* c) {
  ws();
  const char* s = p_;
  *c = Cell{};
  c->number = c->integer = true;
  bool overflow = false;
  if (p_ < e_ && *p_ == '-') {
    c->negative = true;
    ++p_;
  }
  if (p_ >= e_) error();
  if (*p_ == '0') {
    ++p_;
  } else if (*p_ >= '1' && *p_ <= '9') {
    for (; p_ < e_ && is_digit(*p_); ++p_) {
      const auto d = static_cast<uint64_t>(*p_ - '0');
      if (c->magnitude > (UINT64_MAX - d) / 10)
        overflow = true;
      else
        c->magnitude = c->magnitude * 10 + d;
    }
  } else {
    error();
  }
  if (p_ < e_ && *p_ == '.') {
    c->integer = false;
    if (++p_ >= e_ || !is_digit(*p_)) error();
    while (p_ < e_ && is_digit(*p_)) ++p_;
  }
  if (p_ < e_ && (*p_ == 'e' || *p_ == 'E')) {
    c->integer = false;
    ++p_;
    if (p_ < e_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ >= e_ || !is_digit(*p_)) error();
    while (p_ < e_ && is_digit(*p_)) ++p_;
  }
  if (overflow) c->integer = false;
  c->text = {s, static_cast<size_t>(p_ - s)};
}

void Scanner::literal(const char* word) {
  for (; *word; ++word, ++p_)
    if (p_ >= e_ || *p_ != *word) error();
}

// Any value, iteratively (a deeply nested file must not exhaust the stack).
void Scanner::skip_value() {
  std::vector<char> open;  // the closing bracket each open container waits for
  for (;;) {
    const char c = peek();
    bool done = true;  // a whole value was read
    if (c == '{' || c == '[') {
      ++p_;
      const char close = c == '{' ? '}' : ']';
      if (peek() == close) {
        ++p_;
      } else {
        open.push_back(close);
        if (close == '}') {
          string_raw();
          expect(':');
        }
        done = false;
      }
    } else if (c == '"') {
      string_raw();
    } else if (c == 't') {
      literal("true");
    } else if (c == 'f') {
      literal("false");
    } else if (c == 'n') {
      literal("null");
    } else {
      Cell ignored;
      number(&ignored);
    }
    if (!done) continue;
    // Close what this value completed; stop at the next sibling.
    while (!open.empty()) {
      const char close = open.back();
      if (next(close)) {
        if (close == '}') {
          string_raw();
          expect(':');
        }
        break;
      }
      open.pop_back();
    }
    if (open.empty()) return;
  }
}

const char* type_name_of(char first) {
  switch (first) {
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "string";
    case 't':
    case 'f':
      return "boolean";
    case 'n':
      return "null";
    default:
      return "number";
  }
}

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
    sc.skip_value();
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
        cell.text = sc.value_text();
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
  if (!f.events_array) return sc.skip_value();
  sc.expect('[');
  if (sc.peek() == ']') return sc.expect(']');
  size_t row = 0;
  do read_row(sc, row++, f);
  while (sc.next(']'));
}

// The last "copyscope" member wins, as in any JSON reader that keeps one.
void read_copyscope(Scanner& sc, Found& f) {
  const char top = f.top;
  f = Found();
  f.top = top;
  f.copyscope = true;
  f.copyscope_object = sc.peek() == '{';
  if (!f.copyscope_object) return sc.skip_value();
  sc.expect('{');
  if (sc.peek() == '}') return sc.expect('}');
  do {
    const std::string k = sc.key();
    sc.expect(':');
    if (k == "events")
      read_events(sc, f);
    else
      f.members[k] = sc.value_text();
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

}  // namespace

Run trace_from_text(std::string_view text) {
  Found f;
  try {
    Scanner sc(text);
    f.top = sc.peek();
    if (f.top != '{') {
      sc.skip_value();
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
            sc.skip_value();
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
    try {
      return json::parse(it->second.begin(), it->second.end());
    } catch (const json::parse_error& e) {  // what the scan does not check, e.g. a lone surrogate
      fail("not JSON (byte " + std::to_string(static_cast<size_t>(it->second.data() - text.data()) + e.byte) + ")");
    }
  };
  const std::optional<json> fmt = member("format");
  if (!fmt || !fmt->is_number_integer()) fail("copyscope.format is missing: not a trace exported by copyscope");
  if (fmt->get<int64_t>() != kTraceFormat)
    fail("format version " + fmt->dump() + " is not supported (this copyscope reads format " +
         std::to_string(kTraceFormat) + ")");
  const std::optional<json> run_json = member("run");
  if (!run_json) fail("copyscope.run is missing");
  Run run;
  try {
    run = run_from_json(*run_json);
  } catch (const std::runtime_error& e) {
    fail(std::string("copyscope.") + e.what());
  }
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
  }
  f.rows.shrink_to_fit();
  run.events = std::move(f.rows);
  return run;
}

Run trace_from_json(const json& doc) {
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
    return trace_from_text(text);
  } catch (const TraceFileError& e) {
    fail(path + ": " + e.what());
  }
}

}  // namespace copyscope
