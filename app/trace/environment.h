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
// Root, or CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set:
// this process may load and attach the tracing programs itself.
bool has_capture_privilege();
std::string kernel_release();
bool tracepoint_exists(const std::string& category, const std::string& name);
const std::string& tracefs_dir();
// Whether a network device does scatter-gather (ETHTOOL_GSG): 1, 0, or -1 when it cannot be asked.
int device_scatter_gather(const std::string& ifname);
// The network device the scenarios' TCP sink sends through: "lo", or in the
// lab VM (COPYSCOPE_SINK_ADDR) the device with the local address a route to
// that address uses. Empty when it cannot be found.
std::string sink_net_device();

}  // namespace copyscope
