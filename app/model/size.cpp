#include "model/size.h"

#include <cctype>
#include <cstdio>
#include <utility>

namespace copyscope {

namespace {

// The user's text, safe to quote on one line: control bytes shown as \xNN.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return text.size() > 64 ? out + "..." : out;
}

}  // namespace

std::optional<uint64_t> parse_size(const std::string& text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<uint64_t> {
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "'" + std::string.
    if (error) {
      std::string message(1, '\'');
      message += printable(text);
      message += "' is not a size: ";
      message += why;
      *error = std::move(message);
    }
    return std::nullopt;
  };
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i == text.size()) return fail("it is empty (use e.g. 64M, 4K, 1G or a byte count)");
  if (text[i] == '-') return fail("sizes cannot be negative");
  if (!std::isdigit(static_cast<unsigned char>(text[i]))) return fail("expected a number such as 64M");
  uint64_t value = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return fail("too large");
    value = value * 10 + digit;
  }
  std::string suffix;
  for (; i < text.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(text[i])))
      suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B")
    shift = 0;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB")
    shift = 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB")
    shift = 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB")
    shift = 30;
  else if (suffix == "T" || suffix == "TB" || suffix == "TIB")
    shift = 40;
  else if (suffix == "P" || suffix == "PB" || suffix == "PIB")
    shift = 50;
  else
    return fail("unknown suffix '" + printable(suffix) + "' (use K, M or G)");
  if (shift && value > (UINT64_MAX >> shift)) return fail("too large");
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  static const char* units[] = {"", "K", "M", "G", "T"};
  unsigned u = 0;
  while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + units[u];
}

}  // namespace copyscope
