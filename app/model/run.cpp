#include "model/run.h"

#include <algorithm>
#include <cstring>

namespace copyscope {

namespace {
constexpr const char* kSyscallNames[CS_SYS_MAX] = {
    "other",  "read",    "write",    "pread64",  "pwrite64", "readv",
    "writev", "preadv",  "pwritev",  "sendto",   "recvfrom", "sendmsg",
    "recvmsg", "sendfile", "splice", "tee",      "vmsplice", "copy_file_range",
    "mmap",   "munmap",  "io_uring_enter", "ftruncate", "clone", "fork", "wait4",
};
constexpr const char* kFdKindNames[CS_FD_MAX] = {
    "none", "user", "file", "file_direct", "pipe", "tcp", "socket", "char", "other",
};
constexpr const char* kEventNames[CS_EV_MAX] = {
    "none",  "syscall", "switch_out", "switch_in", "fault", "page_cache_add",
    "block", "phase",   "fork",       "exit",      "net_xmit",
};
}  // namespace

const char* syscall_name(unsigned sys) { return sys < CS_SYS_MAX ? kSyscallNames[sys] : "other"; }

int syscall_from_name(const std::string& name) {
  for (unsigned i = 0; i < CS_SYS_MAX; ++i)
    if (name == kSyscallNames[i]) return static_cast<int>(i);
  return -1;
}

const char* fd_kind_name(unsigned kind) { return kind < CS_FD_MAX ? kFdKindNames[kind] : "other"; }

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
  for (unsigned i = 0; i < CS_SYS_MAX; ++i) {
    sys_calls[i] += c.sys_calls[i];
    sys_errors[i] += c.sys_errors[i];
  }
  return *this;
}

void sort_events(std::vector<Event>& events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.ts < b.ts; });
}

}  // namespace copyscope
