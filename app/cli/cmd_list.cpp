#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/common.h"
#include "methods.h"
#include "model/textbook.h"

namespace copyscope::cli {

using nlohmann::json;

static int list_methods(bool as_json) {
  const Textbook& tb = Textbook::builtin();
  json out = json::array();
  // Where copyscope-scenario and its java/ classes are; a build without one
  // still lists the methods.
  std::string bin_dir = ".";
  try {
    bin_dir = std::filesystem::path(scenario_binary()).parent_path().string();
  } catch (const RunError&) {
  }
  for (const auto& m : scenario::kMethods) {
    const TextbookMethod* t = tb.find(std::string(m.name));
    const std::string why_not = scenario::unavailable_reason(m, bin_dir);
    json row = {
        {"name", m.name}, {"description", t ? t->summary.en : ""}, {"sinks", m.sinks}, {"available", why_not.empty()}};
    if (!why_not.empty()) row["unavailable_reason"] = why_not;
    out.push_back(row);
  }
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : out) {
    if (m["available"].get<bool>())
      std::printf("%-22s %s\n", m["name"].get<std::string>().c_str(), m["description"].get<std::string>().c_str());
    else
      std::printf("%-22s (unavailable: %s)\n", m["name"].get<std::string>().c_str(),
                  m["unavailable_reason"].get<std::string>().c_str());
  }
  return 0;
}

CLI::App* add_list(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("list", "the transfer methods, one line each");
  static bool as_json = false;
  cmd->add_flag("--json", as_json, "print JSON");
  cmd->callback([&exit_code] { exit_code = list_methods(as_json); });
  return cmd;
}

}  // namespace copyscope::cli
