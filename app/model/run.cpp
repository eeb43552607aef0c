#include "model/run.h"

#include <algorithm>
#include <cstring>

namespace copyscope {

namespace {
constexpr const char* kSyscallNames[CS_SYS_MAX] = {
    "other",  "read",     "write",          "pread64",   "pwrite64", "readv",  "writev", "preadv",   "pwritev",
    "sendto", "recvfrom", "sendmsg",        "recvmsg",   "sendfile", "splice", "tee",    "vmsplice", "copy_file_range",
    "mmap",   "munmap",   "io_uring_enter", "ftruncate", "clone",    "fork",   "wait4",
};
constexpr const char* kFdKindNames[CS_FD_MAX] = {
    "none", "user", "file", "file_direct", "pipe", "tcp", "socket", "char", "other",
};
constexpr const char* kEventNames[CS_EV_MAX] = {
    "none",  "syscall", "switch_out", "switch_in", "fault",    "page_cache_add",
    "block", "phase",   "fork",       "exit",      "net_xmit", "fd_name",
};
constexpr const char* kCopyDirNames[CS_COPY_DIR_MAX] = {"to_user", "from_user", "kernel"};
constexpr const char* kCopyRoutineNames[CS_CR_MAX] = {
    "_copy_to_iter",
    "_copy_from_iter",
    "_copy_from_iter_nocache",
    "copy_page_to_iter",
    "copy_page_from_iter",
    "copy_page_from_iter_atomic",
    "copy_folio_from_iter_atomic",
    "csum_and_copy_to_iter",
    "csum_and_copy_from_iter",
    "_copy_to_user",
    "_copy_from_user",
    "filemap_read",
    "shmem_file_read_iter",
    "generic_perform_write",
    "pipe_read",
    "pipe_write",
    "anon_pipe_read",
    "anon_pipe_write",
    "tcp_sendmsg_locked",
    "skb_copy_datagram_iter",
    "skb_copy_datagram_from_iter",
    "skb_segment",
    "__pskb_pull_tail",
};
}  // namespace

const char* copy_dir_name(unsigned dir) { return dir < CS_COPY_DIR_MAX ? kCopyDirNames[dir] : "none"; }

int copy_dir_from_name(const std::string& name) {
  for (unsigned i = 0; i < CS_COPY_DIR_MAX; ++i)
    if (name == kCopyDirNames[i]) return static_cast<int>(i);
  return -1;
}

const char* copy_routine_name(unsigned routine) { return routine < CS_CR_MAX ? kCopyRoutineNames[routine] : "?"; }

int copy_routine_from_name(const std::string& name) {
  for (unsigned i = 0; i < CS_CR_MAX; ++i)
    if (name == kCopyRoutineNames[i]) return static_cast<int>(i);
  return -1;
}

const char* syscall_name(unsigned sys) { return sys < CS_SYS_MAX ? kSyscallNames[sys] : "other"; }

int syscall_from_name(const std::string& name) {
  for (unsigned i = 0; i < CS_SYS_MAX; ++i)
    if (name == kSyscallNames[i]) return static_cast<int>(i);
  return -1;
}

const char* fd_kind_name(unsigned kind) { return kind < CS_FD_MAX ? kFdKindNames[kind] : "other"; }

std::string printable_fd_name(const std::string& raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    std::string piece;
    if (c >= 0x20 && c < 0x7f)
      piece = static_cast<char>(c);
    else
      piece = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    if (out.size() + piece.size() > kMaxFdNameBytes - 3) {
      out += "...";
      break;
    }
    out += piece;
  }
  return out;
}

const char* event_type_name(unsigned type) { return type < CS_EV_MAX ? kEventNames[type] : "none"; }

RoleCounters& RoleCounters::operator+=(const cs_counters& c) {
  syscall_enters += c.syscall_enters;
  syscall_exits += c.syscall_exits;
  ctx_switches += c.ctx_switches;
  ctx_switches_involuntary += c.ctx_switches_involuntary;
  page_faults_user += c.page_faults_user;
  page_faults_kernel += c.page_faults_kernel;
  page_cache_adds += c.page_cache_adds;
  page_cache_add_pages += c.page_cache_add_pages;
  dma_ops += c.dma_ops;
  dma_bytes += c.dma_bytes;
  dma_read_bytes += c.dma_read_bytes;
  dma_write_bytes += c.dma_write_bytes;
  net_xmit_packets += c.net_xmit_packets;
  net_xmit_bytes += c.net_xmit_bytes;
  loopback_xmit_bytes += c.loopback_xmit_bytes;
  events_captured += c.events_captured;
  events_dropped += c.events_dropped;
  copy_calls += c.copy_calls;
  copy_to_user_bytes += c.copy_to_user_bytes;
  copy_from_user_bytes += c.copy_from_user_bytes;
  copy_kernel_bytes += c.copy_kernel_bytes;
  for (unsigned i = 0; i < CS_SYS_MAX; ++i) {
    sys_calls[i] += c.sys_calls[i];
    sys_errors[i] += c.sys_errors[i];
  }
  return *this;
}

std::string dma_device_kind(const std::string& driver) {
  static const char* const disks[] = {"nvme", "ahci", "ata_piix", "virtio_blk", "mmc", "sdhci", "megaraid_sas",
                                      "mpt3sas", "smartpqi"};
  static const char* const nics[] = {"e1000", "e1000e", "igb", "igc", "ixgbe", "i40e", "ice", "r8169", "tg3",
                                     "bnx2x", "bnxt_en", "mlx4_core", "mlx5_core", "virtio_net", "vmxnet3", "ena",
                                     "8139cp", "8139too", "ne2k-pci", "pcnet32", "rtl8139"};
  for (const char* d : disks)
    if (driver == d) return "disk";
  for (const char* n : nics)
    if (driver == n) return "nic";
  return "other";
}

void sort_events(EventLog& events) {
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
}

}  // namespace copyscope
