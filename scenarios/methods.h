// The methods copyscope can run (methods.def), as the CLI and the GUI see them:
// names, sinks and what each needs.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace scenario {

struct MethodInfo {
  std::string_view name;
  std::string_view sinks;        // comma-separated, first is the default
  std::string_view requirement;  // empty when it always runs; "java"
};

inline constexpr MethodInfo kMethods[] = {
#define COPYSCOPE_METHOD(name, sinks, needs) {#name, sinks, needs},
#include "methods.def"
#undef COPYSCOPE_METHOD
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

// Why a method cannot run here ("" when it can). `bin_dir` is where
// copyscope-scenario lives; the Java classes are built next to it (java/).
inline std::string unavailable_reason(const MethodInfo& m, const std::string& bin_dir) {
  if (m.requirement != "java") return {};
  std::error_code ec;
  if (!std::filesystem::exists(bin_dir + "/java/TransferTo.class", ec))
    return "its Java classes were not built (no javac when cmake ran): install a JDK "
           "(scripts/install-deps.sh) and rebuild";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (!dir.empty() && access((dir + "/java").c_str(), X_OK) == 0) return {};
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return "no 'java' on PATH: install a JDK (scripts/install-deps.sh installs default-jdk-headless)";
}

}  // namespace scenario
