#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace copyscope {

// "64M", "4k", "1G", "4096", "64MiB" -> bytes. nullopt with *error set on bad input
// (empty, negative, non-numeric, unknown suffix, overflow).
std::optional<uint64_t> parse_size(const std::string& text, std::string* error);
std::string format_size(uint64_t bytes);  // 67108864 -> "64M"

}  // namespace copyscope
