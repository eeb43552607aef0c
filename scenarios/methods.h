// The methods copyscope can run: one table shared by the CLI and the scenario
// program, so both agree on names and sinks.
#pragma once

#include <string_view>

namespace scenario {

struct MethodInfo {
  std::string_view name;
  std::string_view sinks;         // comma-separated, first is the default
  std::string_view requirement;   // empty when it always runs
};

inline constexpr MethodInfo kMethods[] = {
    {"read_write", "tcp,file,pipe,null", ""},
    {"sendfile", "tcp,file,pipe,null", ""},
};

inline const MethodInfo* method_info(std::string_view name) {
  for (const auto& m : kMethods)
    if (m.name == name) return &m;
  return nullptr;
}

inline bool method_supports_sink(const MethodInfo& m, std::string_view sink) {
  std::string_view s = m.sinks;
  while (!s.empty()) {
    size_t comma = s.find(',');
    if (s.substr(0, comma) == sink) return true;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return false;
}

inline std::string_view default_sink(const MethodInfo& m) { return m.sinks.substr(0, m.sinks.find(',')); }

}  // namespace scenario
