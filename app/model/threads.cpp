#include "model/analysis_detail.h"

#include <algorithm>
#include <map>
#include <string>

#include "methods.h"

namespace copyscope::analysis_detail {

namespace {

// Who a thread is, from its name (the JVM names its service threads) or,
// unnamed, from its process: the transfer's own, or another one.
std::string thread_role_of(const std::string& name, bool same_process, bool jvm) {
  auto has = [&](const char* s) { return name.find(s) != std::string::npos; };
  if (!same_process) return N_("helper process (the scenario's launcher)");
  if (has("GC") || has("G1 ") || has("Conc")) return N_("garbage collector");
  if (has("Compiler") || has("C1 ") || has("C2 ")) return N_("JIT compiler");
  if (has("VM Thread") || has("VM Periodic")) return N_("JVM housekeeping");
  if (has("Finalizer") || has("Reference") || has("Signal") || has("Cleaner") || has("Notification"))
    return N_("JVM service");
  return jvm ? N_("JVM thread (GC, JIT or service)") : N_("other thread");
}

}  // namespace

// The sender's threads that made syscalls; those that made the method's own
// data-moving calls are its transfer threads.
std::vector<ThreadUse> thread_uses(const Run& run, const EventTally& tally, const TextbookMethod* tb) {
  std::map<uint32_t, ThreadUse> by_tid;
  std::vector<int> calls;
  if (tb)
    for (const std::string& n : tb->calls) calls.push_back(syscall_from_name(n));
  for (const auto& [key, c] : tally.threads) {
    ThreadUse& t = by_tid[c.tid];
    t.tid = c.tid;
    t.tgid = c.tgid;
    t.syscalls += c.calls;
    if (std::find(calls.begin(), calls.end(), static_cast<int>(c.sys)) == calls.end()) continue;
    t.method_calls += c.ok_calls;
    // Mapping a file is its part of the transfer, though it returns an address.
    t.bytes += c.sys == CS_SYS_MMAP ? c.file_maps : c.ok_bytes;
  }
  // The transfer threads carried the payload; a launcher's status byte on a pipe does not count.
  uint64_t most = 0;
  for (const auto& [tid, t] : by_tid) most = std::max(most, t.bytes);
  auto transfers = [&](const ThreadUse& t) { return t.bytes && t.bytes * 10 >= most; };
  std::vector<uint32_t> transfer_tgids;
  for (const auto& [tid, t] : by_tid)
    if (transfers(t)) transfer_tgids.push_back(t.tgid);
  const scenario::MethodInfo* info = scenario::method_info(run.params.method);
  const bool jvm = info && info->requirement == "java";
  std::vector<ThreadUse> out;
  for (auto& [tid, t] : by_tid) {
    auto it = run.thread_names.find(tid);
    t.name = it == run.thread_names.end() ? "" : it->second;
    const bool same = std::find(transfer_tgids.begin(), transfer_tgids.end(), t.tgid) != transfer_tgids.end();
    t.role = transfers(t) ? N_("transfer") : thread_role_of(t.name, same || transfer_tgids.empty(), jvm);
    out.push_back(std::move(t));
  }
  constexpr size_t kMaxThreads = 64;  // a JVM has dozens; keep the busiest
  if (out.size() > kMaxThreads) {
    std::partial_sort(out.begin(), out.begin() + kMaxThreads, out.end(),
                      [](const ThreadUse& a, const ThreadUse& b) { return a.syscalls > b.syscalls; });
    out.resize(kMaxThreads);
  }
  return out;
}

}  // namespace copyscope::analysis_detail
