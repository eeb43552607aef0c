#include "trace/environment.h"

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace copyscope {

namespace fs = std::filesystem;

namespace {

constexpr long kTracefsMagic = 0x74726163;
constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;

bool has_cap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data)) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

bool is_tracefs(const char* dir) {
  struct statfs st {};
  return statfs(dir, &st) == 0 && st.f_type == kTracefsMagic;
}

// The mount copyscope made, undone at exit so the machine is left as found.
struct TracefsMount {
  std::string dir;
  bool mounted_by_us = false;
  ~TracefsMount() {
    if (mounted_by_us) umount2(dir.c_str(), MNT_DETACH);
  }
};

TracefsMount& tracefs_state() {
  static TracefsMount m;
  return m;
}

// Mounts tracefs where only this process and its children see it: a mount
// namespace of our own, whose mounts do not propagate back. Nothing is left
// behind at exit and concurrent copyscope runs do not race over one global
// mount. unshare() refuses a multi-threaded process (EINVAL).
bool mount_private_tracefs() {
  if (unshare(CLONE_NEWNS) != 0) return false;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return false;
  return mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0;
}

}  // namespace

const std::string& tracefs_dir() {
  TracefsMount& m = tracefs_state();
  if (m.dir.empty()) {
    if (is_tracefs("/sys/kernel/tracing"))
      m.dir = "/sys/kernel/tracing";
    else if (is_tracefs("/sys/kernel/debug/tracing"))
      m.dir = "/sys/kernel/debug/tracing";
  }
  return m.dir;
}

std::string kernel_release() {
  utsname u{};
  uname(&u);
  return u.release;
}

bool tracepoint_exists(const std::string& category, const std::string& name) {
  const std::string& dir = tracefs_dir();
  if (dir.empty()) return false;
  std::error_code ec;
  return fs::exists(dir + "/events/" + category + "/" + name + "/id", ec);
}

bool has_capture_privilege() {
  return geteuid() == 0 || (has_cap(kCapBpf) && has_cap(kCapPerfmon)) || has_cap(kCapSysAdmin);
}

CaptureCheck check_live_capture() {
  CaptureCheck c;
  const bool root = geteuid() == 0;
  if (!has_capture_privilege()) {
    c.reason = "live capture needs root, or the capture helper copyscope-capture (installed with the package)";
    c.fix =
        "run it with sudo, or install the package and join group copyscope (sudo adduser $USER copyscope, then "
        "log in again); without either, 'copyscope replay FILE' and the GUI's recordings still work";
    return c;
  }
  std::error_code ec;
  if (!fs::exists("/sys/kernel/btf/vmlinux", ec)) {
    c.reason = "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing), which CO-RE programs need";
    c.fix = "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's stock kernels are), or use 'copyscope replay'";
    return c;
  }
  if (tracefs_dir().empty()) {
    TracefsMount& m = tracefs_state();
    if (root && mount_private_tracefs()) {
      m.dir = "/sys/kernel/tracing";
    } else if (root && mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) {
      m.dir = "/sys/kernel/tracing";
      m.mounted_by_us = true;
    } else if (root && errno == EBUSY && is_tracefs("/sys/kernel/tracing")) {
      m.dir = "/sys/kernel/tracing";  // another process mounted it meanwhile
    } else {
      c.reason = std::string("tracefs is not mounted and could not be mounted (") + std::strerror(errno) + ")";
      c.fix = "mount it as root: mount -t tracefs nodev /sys/kernel/tracing";
      return c;
    }
  }
  c.ok = true;
  return c;
}

std::string sink_net_device() {
  const char* where = std::getenv("COPYSCOPE_SINK_ADDR");
  if (!where || !*where) return "lo";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  if (inet_pton(AF_INET, where, &to.sin_addr) != 1) return {};
  // A UDP socket's connect() only picks the route: nothing is sent.
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in local{};
  socklen_t len = sizeof local;
  const bool routed = connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
                      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0;
  close(fd);
  if (!routed) return {};
  std::string name;
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return {};
  for (ifaddrs* a = all; a; a = a->ifa_next)
    if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
        reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr == local.sin_addr.s_addr) {
      name = a->ifa_name;
      break;
    }
  freeifaddrs(all);
  return name;
}

int device_scatter_gather(const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return -1;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ethtool_value value{};
  value.cmd = ETHTOOL_GSG;
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  req.ifr_data = reinterpret_cast<char*>(&value);
  const int rc = ioctl(fd, SIOCETHTOOL, &req);
  close(fd);
  return rc == 0 ? (value.data ? 1 : 0) : -1;
}

}  // namespace copyscope
