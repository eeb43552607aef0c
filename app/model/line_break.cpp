#include "model/line_break.h"

#include <vector>

namespace copyscope {

namespace {

struct Glyph {
  size_t begin, end;  // bytes
  uint32_t cp;
};

// One code point at `i`; a malformed byte is itself.
Glyph next(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {i, i + 1, b};
    cp = (cp << 6) | (c & 0x3F);
  }
  return {i, i + n, cp};
}

bool wide(uint32_t c) {  // CJK: a line may break on either side
  return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x2FFFF);
}

bool closing(uint32_t c) {  // never starts a line
  switch (c) {
    case 0x3001: case 0x3002: case 0xFF0C: case 0xFF0E: case 0xFF1A: case 0xFF1B: case 0xFF01: case 0xFF1F:
    case 0xFF09: case 0x300B: case 0x300D: case 0x300F: case 0x3011: case 0x201D: case 0x2019: case 0x2026:
    case ',': case '.': case ';': case ':': case '!': case '?': case ')': case ']': case '}': case '%':
      return true;
    default:
      return false;
  }
}

bool opening(uint32_t c) {  // never ends a line
  switch (c) {
    case 0xFF08: case 0x300A: case 0x300C: case 0x300E: case 0x3010: case 0x201C: case 0x2018:
    case '(': case '[': case '{':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string break_lines(std::string_view text, float width, const std::function<float(uint32_t)>& advance) {
  std::vector<Glyph> g;
  for (size_t i = 0; i < text.size();) {
    g.push_back(next(text, i));
    i = g.back().end;
  }
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  size_t line = 0;  // first glyph of the current line
  while (line < g.size()) {
    // Leading spaces of a wrapped line are dropped.
    float w = 0;
    size_t i = line, fit_end = line, brk = std::string::npos;  // brk: the line may end before glyph brk
    for (; i < g.size(); ++i) {
      const uint32_t c = g[i].cp;
      if (c == '\n') break;
      if (i > line) {
        const uint32_t p = g[i - 1].cp;
        const bool may = (c == ' ' || p == ' ' || wide(c) || wide(p)) && !closing(c) && !opening(p);
        if (may) brk = i;
      }
      w += advance(c);
      if (w > width && c != ' ' && i > line) break;
      fit_end = i + 1;
    }
    size_t end;
    if (i >= g.size() || g[i].cp == '\n') {
      end = i;
    } else if (brk != std::string::npos && brk > line) {
      end = brk;
    } else {
      end = std::max(fit_end, line + 1);  // one word wider than the line
    }
    size_t last = end;
    while (last > line && g[last - 1].cp == ' ') --last;  // trailing spaces dropped
    out.append(text.substr(g[line].begin, (last > line ? g[last - 1].end : g[line].begin) - g[line].begin));
    size_t nxt = end;
    if (nxt < g.size() && g[nxt].cp == '\n') {
      out += '\n';
      ++nxt;
    } else if (nxt < g.size()) {
      out += '\n';
      while (nxt < g.size() && g[nxt].cp == ' ') ++nxt;
    }
    line = nxt;
  }
  return out;
}

}  // namespace copyscope
