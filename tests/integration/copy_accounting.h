// What copyscope must decide from its own probe of the copy hooks, read back
// from a run's "kernel" object (run --json): copies are "measured" when every
// copy site this kernel has (in its BTF) is hooked, by fentry or kprobe, and
// "attributed" otherwise (app/trace/tracer.cpp). Tests assert that decision for
// whatever the probe found, never which answer one machine gets.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/run.h"

struct CopyHookProbe {
  size_t sites_here = 0;              // copy sites in this kernel's BTF
  size_t sites_hooked = 0;            // of those, hooked by fentry or kprobe
  std::vector<std::string> unhooked;  // copy sites in the BTF but not hooked
  std::vector<std::string> problems;  // hooks missing from kernel.hooks
  std::string accounting;             // what the probe's answer implies
};

inline const nlohmann::json* find_hook(const nlohmann::json& kernel, const std::string& name) {
  if (!kernel.contains("hooks") || !kernel["hooks"].is_array()) return nullptr;
  for (const nlohmann::json& h : kernel["hooks"])
    if (h.value("name", "") == name) return &h;
  return nullptr;
}

inline CopyHookProbe copy_hook_probe(const nlohmann::json& kernel) {
  CopyHookProbe p;
  for (unsigned r = CS_CR_FILEMAP_READ; r < CS_CR_MAX; ++r) {
    const std::string site = copyscope::copy_routine_name(r);
    const nlohmann::json* fe = find_hook(kernel, "fentry/" + site);
    const nlohmann::json* kp = find_hook(kernel, "kprobe/" + site);
    if (!fe || !kp) {
      p.problems.push_back("kernel.hooks does not list fentry/" + site + " and kprobe/" + site);
      continue;
    }
    // A routine not in the BTF has both hooks "unavailable"; one in it has an
    // fentry that is available, refused or attached.
    if (fe->value("status", "") == "unavailable") continue;
    ++p.sites_here;
    if (fe->value("status", "") == "attached" || kp->value("status", "") == "attached")
      ++p.sites_hooked;
    else
      p.unhooked.push_back(site);
  }
  p.accounting = p.sites_here > 0 && p.unhooked.empty() ? "measured" : "attributed";
  return p;
}

// Checks kernel.copy_accounting and its reason against the probe's answer.
inline void expect_accounting_follows_the_probe(const nlohmann::json& kernel, const std::string& what) {
  const CopyHookProbe p = copy_hook_probe(kernel);
  for (const std::string& problem : p.problems) ADD_FAILURE() << what << ": " << problem;
  const std::string why = kernel.value("copy_accounting_why", "");
  EXPECT_EQ(kernel.value("copy_accounting", ""), p.accounting)
      << what << ": " << p.sites_hooked << " of " << p.sites_here << " copy sites hooked; the run says: " << why;
  if (p.accounting == "attributed" && p.sites_here > 0)
    for (const std::string& site : p.unhooked)
      EXPECT_NE(why.find(site), std::string::npos)
          << what << ": the reason does not name unhooked " << site << ": " << why;
  if (p.accounting == "measured")
    EXPECT_NE(why.find("all " + std::to_string(p.sites_here) + " copy sites"), std::string::npos)
        << what << ": " << why;
}
