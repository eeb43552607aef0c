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
#include "methods.h"
#include "model/run_json.h"
#include "model/textbook.h"

namespace copyscope {

using nlohmann::json;

namespace {

// Nesting deeper than this is refused: no trace copyscope writes comes near
// it, and document trees (nlohmann copies and prints them recursively) stay
// far from the stack's end.
constexpr size_t kMaxDepth = 64;
// Any one string: the longest a trace holds are notes of a few hundred bytes.
constexpr size_t kMaxStringBytes = 64 << 10;
// A name (method, kernel release, thread, hook, a member's key).
constexpr size_t kMaxNameBytes = 4 << 10;
// "run", "summary", "enums" become document trees, which take up to about
// twenty times their text: bounded so that stays well under 1 GiB. Real ones
// are a few KiB.
constexpr size_t kMaxMemberBytes = 16 << 20;
// A loaded event takes sizeof(Event) (56 bytes): this bounds them to under
// 1 GiB, more than a 2 GiB file of real rows holds.
constexpr size_t kMaxEvents = size_t{1} << 24;
// Every count or byte total of a run is below this (64 PiB), so the sums the
// analysis forms over them cannot wrap.
constexpr uint64_t kMaxCounter = uint64_t{1} << 56;

// Text from a trace made safe for a terminal or a window: escape sequences
// removed, other control characters (C0, DEL, C1, bidirectional overrides)
// and bytes that are not UTF-8 shown as '?'; at most `max` bytes, never
// ending inside a character.
// `note`: a newline or tab is kept (a note may hold several lines).
std::string printable(std::string_view s, size_t max = SIZE_MAX, bool note = false) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  size_t i = 0;
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  while (i < s.size()) {
    const unsigned char c = byte(i);
    if (c == 0x1b) {  // ESC: drop the whole sequence
      const unsigned char k = byte(i + 1);
      i += 2;
      if (k == '[') {  // CSI: parameters and intermediates, then a final byte
        while (i < s.size() && byte(i) >= 0x20 && byte(i) < 0x40) ++i;
        if (i < s.size() && byte(i) >= 0x40 && byte(i) < 0x7f) ++i;
      } else if (k == ']' || k == 'P' || k == 'X' || k == '^' || k == '_') {  // strings up to BEL or ST
        while (i < s.size() && byte(i) != 0x07 && !(byte(i) == 0x1b && byte(i + 1) == '\\')) ++i;
        i += i < s.size() ? (byte(i) == 0x07 ? 1 : 2) : 0;
      } else if (k < 0x20 || k >= 0x7f) {
        i -= 1;  // a lone ESC: only it goes
      }
      continue;
    }
    size_t len = 1;
    bool ok = (c >= 0x20 && c < 0x7f) || (note && (c == '\n' || c == '\t'));
    if (c >= 0xC2 && c <= 0xF4) {
      len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ok = i + len <= s.size();
      for (size_t k = 1; ok && k < len; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
      if (ok) {
        const uint32_t cp = len == 2   ? ((c & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu)
                            : len == 3 ? ((c & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu)
                                       : ((c & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) |
                                             ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu);
        const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
        const bool control = cp < 0xA0 || (cp >= 0xD800 && cp < 0xE000) || cp == 0x200E || cp == 0x200F ||
                             (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
        ok = !overlong && !control;
      }
      if (!ok) len = 1;
    }
    if (out.size() + (ok ? len : 1) > max) {
      if (max >= 3) {
        while (out.size() > max - 3) out.pop_back();
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
        if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
        out += "...";
      }
      return out;
    }
    if (ok)
      out.append(s.substr(i, len));
    else
      out += '?';
    i += len;
  }
  return out;
}

// Every refusal: one line, whatever it quotes from the file.
[[noreturn]] void fail(const std::string& why) { throw TraceFileError(printable(why, 600)); }

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

  size_t at() const { return static_cast<size_t>(p_ - b_); }
  std::string_view string_raw();  // the text between the quotes, escapes as written
  std::string key();              // a member name, unescaped
  void number(Cell* c);
  // A value inside `depth` containers, iteratively (a deeply nested file must
  // not exhaust the stack), refused beyond kMaxDepth.
  void skip_value(size_t depth);
  std::string_view value_text(size_t depth) {
    ws();
    const char* s = p_;
    skip_value(depth);
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
    if (static_cast<size_t>(p_ - s) > kMaxStringBytes)
      fail("a string longer than " + std::to_string(kMaxStringBytes >> 10) + " KiB (byte " + std::to_string(s - b_) +
           "): no trace copyscope writes has one");
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
  if (!c->integer) {
    // 1e400 is valid JSON but no double: refused here, where the byte is known.
    double v = 0;
    const auto r = std::from_chars(s, p_, v);
    if (r.ec != std::errc() || r.ptr != p_)
      fail("the number " + std::string(c->text.substr(0, 40)) + (c->text.size() > 40 ? "..." : "") + " (byte " +
           std::to_string(s - b_) + ") is out of range");
  }
}

void Scanner::literal(const char* word) {
  for (; *word; ++word, ++p_)
    if (p_ >= e_ || *p_ != *word) error();
}

void Scanner::skip_value(size_t depth) {
  std::vector<char> open;  // the closing bracket each open container waits for
  for (;;) {
    const char c = peek();
    bool done = true;  // a whole value was read
    if (c == '{' || c == '[') {
      if (depth + open.size() >= kMaxDepth)
        fail("nested deeper than " + std::to_string(kMaxDepth) + " levels (byte " + std::to_string(at()) +
             "): no trace copyscope writes is");
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

Run trace_from_text(std::string_view text) {
  Found f;
  try {
    Scanner sc(text);
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
  }
  f.rows.shrink_to_fit();
  run.events = std::move(f.rows);
  check_counters(run, *summary);
  return run;
}

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
    return trace_from_text(text);
  } catch (const TraceFileError& e) {
    fail(path + ": " + e.what());
  }
}

}  // namespace copyscope
