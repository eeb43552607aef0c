#include "model/analysis_detail.h"

#include <string>

namespace copyscope::analysis_detail {

using nlohmann::json;

// What each method teaches where the kernel differs from the textbook: facts
// from the counters and from the scenario's own report (`extra`).
void add_method_notes(const Run& run, Summary& s) {
  const std::string& m = run.params.method;
  const json& x = s.extra.is_object() ? s.extra : json::object();
  const Counts& c = s.counters;
  auto calls = [&](const char* name) {
    auto it = c.syscalls.find(name);
    return it == c.syscalls.end() ? uint64_t{0} : it->second;
  };
  const double units = static_cast<double>(s.units);
  if (m == "splice") {
    s.deviations.push_back(
        {"splice_calls_per_chunk", 1, round2(calls("splice") / units),
         say("splice needs a pipe at one end, so a chunk takes two calls: file -> pipe, then pipe -> sink; "
             "the articles' single 'splice' hides the pipe. The first call only puts references to the "
             "page-cache pages into the pipe (no copy). %s",
             run.params.sink == "file"
                 ? both(N_("The second call, pipe -> file, does copy: iter_file_splice_write copies the pages into "
                           "the destination's page cache (1 CPU copy per byte)"))
             : run.params.sink == "tcp"
                 ? both(N_("The second call passes the same references to the socket, which needs a device that "
                           "does scatter-gather (loopback does); without it the kernel would copy into the socket "
                           "buffer"))
                 : both(N_("The second call hands the references on without copying")))});
  } else if (m == "tee") {
    s.deviations.push_back(
        {"calls_per_chunk", 1, round2((calls("tee") + calls("splice")) / units),
         say("tee only duplicates what a pipe already holds: each chunk is spliced from the file into a pipe, "
             "tee'd into the sink pipe (buffer references, no copy), then drained from the first pipe (splice to "
             "/dev/null); three calls, none of them copies with the CPU")});
  } else if (m == "vmsplice") {
    s.notes.push_back(
        say("vmsplice put references to the user's pages into the pipe (no copy); the user must not "
            "modify those pages until the reader consumed them, which the scenario guarantees by "
            "never reusing a buffer"));
  } else if (m == "io_uring" || m == "io_uring_send_zc") {
    const uint64_t enters = calls("io_uring_enter");
    s.deviations.push_back(
        {"io_uring_enter_per_chunk", 1, round2(enters / units),
         say("requests are queued in the shared submission ring and submitted %s at a time: %s io_uring_enter "
             "calls for %s chunks. The data still moves as read (page cache -> user buffer) and write/send; CPU "
             "copies are counted per io_uring request at its completion (tracepoint io_uring:io_uring_complete)",
             x.value("batch", json(8)).dump(), enters, s.units)});
  } else if (m == "direct_io" && x.contains("alignment")) {
    const json& a = x["alignment"];
    s.deviations.push_back(
        {"alignment", N_("aligned buffer, offset and length"),
         "memory " + a.value("memory", json(0)).dump() + " B, offset " + a.value("offset", json(0)).dump() +
             " B, buffer " + a.value("buffer_used", json(0)).dump() + " B",
         say("O_DIRECT needs the buffer address, the file offset and the length aligned to what the device and "
             "filesystem require (%s); the buffer comes from posix_memalign and its size is rounded up to that "
             "alignment. The page cache took %s pages during the transfer",
             a.value("source", std::string("?")), c.page_cache_adds)});
  } else if (m == "cow_fork") {
    const uint64_t written = x.value("pages_written", uint64_t{0});
    s.deviations.push_back(
        {"page_copies", written, c.cow_faults,
         say("each first write to a page shared after fork faults (a write fault on a present page) and the "
             "kernel copies that one 4 KiB page; the few faults beyond the pages written are the processes' own "
             "stack and library pages touched after fork. Transparent huge pages were disabled for the region "
             "(MADV_NOHUGEPAGE) so that each page is counted on its own; since Linux 5.8 a write fault on a shared "
             "huge page splits it and copies only the 4 KiB page (before 5.8 it copied all 2 MiB). %s",
             x.value("parent_data_unchanged", false)
                 ? both(N_("The parent's data was unchanged afterwards (checked)"))
                 : both(N_("The parent's data was CHANGED afterwards (checked)")))});
  } else if (m == "mmap_truncate_sigbus" && x.value("outcome", std::string()) == "SIGBUS") {
    s.deviations.push_back(
        {"outcome", "SIGBUS", "SIGBUS",
         say("expected: %s", x.contains("explanation") ? same(x.value("explanation", std::string()))
                                                       : both(N_("the child took SIGBUS")))});
    s.notes.push_back(
        say("SIGBUS is the expected outcome of this scenario, not a failure of copyscope: mapping a "
            "file and letting another process truncate it is the hazard the articles warn about"));
  }
  if (m == "msg_zerocopy" || m == "io_uring_send_zc") {
    const uint64_t sends = x.value("zerocopy_sends", uint64_t{0}), copied = x.value("zerocopy_copied", uint64_t{0});
    s.deviations.push_back(
        {"zero_copy_send", N_("no copy"), copied ? N_("copied by the kernel") : N_("not copied"),
         copied ? say("%s of %s completions said %s: on loopback the data is delivered to a local socket, which must "
                      "not keep pointers into the sender's memory, so the kernel copies it anyway; with a real NIC "
                      "the pinned pages go to the device",
                      copied, sends, m == "msg_zerocopy" ? "SO_EE_CODE_ZEROCOPY_COPIED" : "IORING_NOTIF_USAGE_ZC_COPIED")
                : say("%s of %s completions said %s", copied, sends,
                      m == "msg_zerocopy" ? "SO_EE_CODE_ZEROCOPY_COPIED" : "IORING_NOTIF_USAGE_ZC_COPIED")});
  } else if (m == "copy_file_range" && x.contains("reflink")) {
    const json& r = x["reflink"];
    if (!r.value("supported", false))
      s.deviations.push_back(
          {"reflink", N_("extents shared (0 copies) on a reflink filesystem"), N_("not supported"),
           say("this filesystem (%s) refused FICLONE (%s), so copy_file_range copied the pages inside the kernel: 1 "
               "CPU copy per byte, no user copy, no mode switch per byte. On btrfs or XFS the same call shares "
               "extents and copies nothing",
               r.value("fs", std::string("?")), r.value("error", std::string("?")))});
  } else if (m == "mmap_write" || m == "java_mapped") {
    s.notes.push_back(
        say("the file is mapped once for the whole transfer, so mmap costs two mode switches in total, "
            "not per chunk; its pages come in through %s page faults taken while write() reads the mapping",
            c.page_faults));
  }
  if (m == "java_transferto" || m == "java_mapped")
    s.notes.push_back(say("the JVM makes the same system calls as C (%s); its JIT and GC threads add other syscalls "
                          "during the phase, JVM startup is excluded",
                          m == "java_transferto" ? "transferTo -> sendfile" : "map -> mmap, write"));
}

}  // namespace copyscope::analysis_detail
