#include <cstdio>
#include <iostream>

#include "cli/common.h"
#include "methods.h"
#include "model/textbook.h"

namespace copyscope::cli {

using nlohmann::json;

static int list_methods(bool as_json) {
  const Textbook& tb = Textbook::builtin();
  json out = json::array();
  for (const auto& m : scenario::kMethods) {
    const TextbookMethod* t = tb.find(std::string(m.name));
    out.push_back({{"name", m.name},
                   {"description", t ? t->summary.en : ""},
                   {"sinks", m.sinks},
                   {"available", true}});
  }
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : out)
    std::printf("%-22s %s\n", m["name"].get<std::string>().c_str(), m["description"].get<std::string>().c_str());
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
