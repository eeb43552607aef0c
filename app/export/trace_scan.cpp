#include "export/trace_scan.h"

#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "export/trace.h"

namespace copyscope::trace_scan {

using nlohmann::json;

std::string printable(std::string_view s, size_t max, bool note) {
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

[[noreturn]] void fail(const std::string& why) { throw TraceFileError(printable(why, 600)); }

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

// Lets go of the mapped pages more than half of kLetGoBytes behind the
// cursor (the mapping starts on a page boundary).
void Scanner::let_go() {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t from = static_cast<size_t>(released_ - b_);
  const size_t to = (static_cast<size_t>(p_ - b_) - kLetGoBytes / 2) & ~(page - 1);
  if (to > from && madvise(const_cast<char*>(b_) + from, to - from, MADV_DONTNEED) == 0) released_ = b_ + to;
  kept_ = p_;
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

}  // namespace copyscope::trace_scan
