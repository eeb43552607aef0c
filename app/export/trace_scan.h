// The trace loader's JSON scanner (app/export/trace_load.cpp): a validating
// pass over a trace's bytes that keeps its limits as it goes, so a hostile
// file costs time linear in its size and memory bounded by the limits.
// Internal to the loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace copyscope::trace_scan {

// Nesting deeper than this is refused: no trace copyscope writes comes near
// it, and document trees (nlohmann copies and prints them recursively) stay
// far from the stack's end.
constexpr size_t kMaxDepth = 64;
// Any one string: the longest a trace holds are notes of a few hundred bytes.
constexpr size_t kMaxStringBytes = 64 << 10;
// A name (method, kernel release, thread, hook, a member's key).
constexpr size_t kMaxNameBytes = 4 << 10;

// Text from a trace made safe for a terminal or a window: escape sequences
// removed, other control characters (C0, DEL, C1, bidirectional overrides)
// and bytes that are not UTF-8 shown as '?'; at most `max` bytes, never
// ending inside a character.
// `note`: a newline or tab is kept (a note may hold several lines).
std::string printable(std::string_view s, size_t max = SIZE_MAX, bool note = false);

// Every refusal: one line, whatever it quotes from the file.
[[noreturn]] void fail(const std::string& why);

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

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

class Scanner {
 public:
  // `mapped`: s is a read-only private mapping of a file, whose pages the
  // scanner lets go once it is well past them (they are read again from the
  // file if looked at later): a large trace then does not stay resident.
  explicit Scanner(std::string_view s, bool mapped = false)
      : b_(s.data()), p_(s.data()), e_(s.data() + s.size()), mapped_(mapped), kept_(s.data()), released_(s.data()) {}

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
    if (mapped_ && static_cast<size_t>(p_ - kept_) >= kLetGoBytes) let_go();
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
  void let_go();
  static constexpr size_t kLetGoBytes = size_t{64} << 20;

  const char* b_;
  const char* p_;
  const char* e_;
  bool mapped_ = false;
  const char* kept_;      // where the cursor was at the last let_go()
  const char* released_;  // the pages before this were let go
};

// "object", "array", ... for the first character of a value.
const char* type_name_of(char first);

}  // namespace copyscope::trace_scan
