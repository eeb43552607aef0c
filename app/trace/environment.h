// Can this process capture live? Privileges, BTF and tracefs, each with a fix.
#pragma once

#include <string>

namespace copyscope {

struct CaptureCheck {
  bool ok = false;
  std::string reason;  // one sentence: what is missing
  std::string fix;     // one sentence: what to do instead
};

// Checks privileges and BTF; mounts tracefs when root and missing.
CaptureCheck check_live_capture();
std::string kernel_release();
bool tracepoint_exists(const std::string& category, const std::string& name);
const std::string& tracefs_dir();

}  // namespace copyscope
