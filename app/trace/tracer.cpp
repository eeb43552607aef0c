#include "trace/tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <tuple>
#include <utility>

#include "copyscope.skel.h"
#include "trace/environment.h"

namespace copyscope {

namespace {

// Events staged between the capture and store threads before the staging
// grows, in whole huge pages faulted in before the capture: several times
// what the kernel's ring holds, so that the capture thread drains a full
// ring into memory it has written before even while the store thread is
// held up (its own first writes to fresh log pages), and never grows the
// staging block (fresh memory, a copy) while the ring fills.
constexpr size_t kStagedEvents = 8 * bulk::kHugePage / sizeof(Event);
// The part of the event log made memory before a capture, at most.
constexpr size_t kPrefaultEvents = 32 * bulk::kHugePage / sizeof(Event);
// The event log's address space: room for a long capture at the pipeline's full rate.
constexpr size_t kEventLogCapacity = size_t{1} << 26;
// The capture thread's wait for the ring: wake-ups are batched in the kernel
// (every wakeup_bytes), this timeout sweeps up the rest.
constexpr int kPollTimeoutMs = 50;
// The capture thread's nice value, where the process may set it.
constexpr int kCaptureNice = -10;

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf's own messages are noise for a student; keep warnings for debugging.
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG || !std::getenv("COPYSCOPE_DEBUG")) return 0;
  return vfprintf(stderr, fmt, args);
}

}  // namespace

// ---------------------------------------------------------------------------
// Feature probes: everything asked of the running kernel, once, before the open.

// One copy routine (enum cs_copy_routine) and how this kernel lets us hook it.
struct CopyRoutinePlan {
  unsigned routine = 0;
  std::string name;
  bool in_btf = false;                 // a function in the running kernel's BTF
  bool fentry_ok = false;              // a probe fentry program loaded and attached
  bool kprobe_ok = false;              // the kernel has the kprobe PMU
  std::string fentry_why, kprobe_why;  // why not, when not
};
enum class CopyVia { None, Fentry, Kprobe };

namespace {

using Progs = decltype(copyscope_bpf::progs);

// The tracepoint programs. Each attaches where its tracepoint exists; one the
// running kernel lacks is turned off, and said so. Raw tracepoints have the
// same names as the classic ones, so tracefs tells for both.
struct TracepointProgram {
  bpf_program* Progs::*prog;
  const char* kind;
  const char* category;
  const char* name;
};
constexpr TracepointProgram kTracepoints[] = {
    {&Progs::on_sys_enter, "tp_btf", "raw_syscalls", "sys_enter"},
    {&Progs::on_sys_exit, "tp_btf", "raw_syscalls", "sys_exit"},
    {&Progs::on_exit, "tracepoint", "sched", "sched_process_exit"},
    {&Progs::on_fault_user, "tracepoint", "exceptions", "page_fault_user"},
    {&Progs::on_fault_kernel, "tracepoint", "exceptions", "page_fault_kernel"},
    {&Progs::on_page_cache_add, "tracepoint", "filemap", "mm_filemap_add_to_page_cache"},
    {&Progs::on_sched_switch, "tp_btf", "sched", "sched_switch"},
    {&Progs::on_fork, "raw_tp", "sched", "sched_process_fork"},
    {&Progs::on_bio_queue, "raw_tp", "block", "block_bio_queue"},
    {&Progs::on_bio_split, "raw_tp", "block", "block_split"},
    {&Progs::on_rq_issue, "raw_tp", "block", "block_rq_issue"},
    {&Progs::on_rq_complete, "raw_tp", "block", "block_rq_complete"},
    {&Progs::on_net_xmit, "tp_btf", "net", "net_dev_start_xmit"},
    {&Progs::on_uring_complete, "raw_tp", "io_uring", "io_uring_complete"},
    {&Progs::on_dma_map_page, "raw_tp", "dma", "dma_map_page"},
    {&Progs::on_dma_map_phys, "raw_tp", "dma", "dma_map_phys"},
    {&Progs::on_dma_map_sg, "raw_tp", "dma", "dma_map_sg"},
};

// The four programs of each copy routine (bpf/copy_hooks.bpf.h: CS_COPY_HOOK),
// named KIND_ROUTINE, and the hook pair each belongs to.
struct CopyHookKind {
  const char* name;
  CopyVia via;
};
constexpr CopyHookKind kCopyHookKinds[] = {{"fentry", CopyVia::Fentry},
                                           {"fexit", CopyVia::Fentry},
                                           {"kprobe", CopyVia::Kprobe},
                                           {"kretprobe", CopyVia::Kprobe}};

// Can a trivial fentry program load and attach to this function?
bool probe_fentry(int btf_id, std::string* why) {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},  // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                   // return r0
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<__u32>(btf_id));
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "cs_probe", "GPL", insns, std::size(insns), &opts);
  if (fd < 0) {
    *why = "the kernel refused to load an fentry program: " + errstr(errno);
    return false;
  }
  int link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, nullptr);
  bool ok = link >= 0;
  if (!ok) *why = "an fentry program loaded but did not attach: " + errstr(errno);
  if (link >= 0) close(link);
  close(fd);
  return ok;
}

// io_uring_complete's arguments changed after Linux 6.1: from the completion's
// fields (ctx, req, user_data, res, cflags, extra1, extra2) to a pointer to the
// completion entry (ctx, req, cqe). The tracepoint's BTF prototype tells which.
bool uring_complete_passes_fields(const btf* vmlinux) {
  // (void *__data, ctx, req, cqe): the newer prototype's parameters.
  constexpr unsigned kCqeProtoParams = 4;
  if (!vmlinux) return false;
  bool fields = false;
  const int id = btf__find_by_name_kind(vmlinux, "btf_trace_io_uring_complete", BTF_KIND_TYPEDEF);
  if (id > 0) {
    const btf_type* t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
    if (t && btf_is_ptr(t)) t = btf__type_by_id(vmlinux, t->type);
    if (t && btf_is_func_proto(t)) fields = btf_vlen(t) > kCqeProtoParams;
  }
  return fields;
}

bool kprobe_pmu_present() {
  std::error_code ec;
  return std::filesystem::exists("/sys/bus/event_source/devices/kprobe/type", ec);
}

std::vector<CopyRoutinePlan> probe_copy_hooks(const btf* vmlinux) {
  std::vector<CopyRoutinePlan> plan;
  const bool kprobes = kprobe_pmu_present();
  // COPYSCOPE_COPY_HOOKS=kprobe skips fentry, =none hooks nothing: to compare
  // the hook kinds, or measured with attributed copies, on one kernel.
  const char* env = std::getenv("COPYSCOPE_COPY_HOOKS");
  const std::string only = env ? env : "";
  for (unsigned r = 0; r < CS_CR_MAX; ++r) {
    CopyRoutinePlan p;
    p.routine = r;
    p.name = copy_routine_name(r);
    p.in_btf = vmlinux && btf__find_by_name_kind(vmlinux, p.name.c_str(), BTF_KIND_FUNC) >= 0;
    if (!p.in_btf) {
      p.fentry_why = p.kprobe_why = "not a function in this kernel's BTF (renamed, inlined or absent here)";
    } else {
      if (only == "kprobe" || only == "none")
        p.fentry_why = "not tried: COPYSCOPE_COPY_HOOKS=" + only;
      else
        p.fentry_ok = probe_fentry(btf__find_by_name_kind(vmlinux, p.name.c_str(), BTF_KIND_FUNC), &p.fentry_why);
      p.kprobe_ok = kprobes && only != "none";
      if (!kprobes)
        p.kprobe_why = "this kernel is built without kprobes (no kprobe PMU)";
      else if (only == "none")
        p.kprobe_why = "not tried: COPYSCOPE_COPY_HOOKS=none";
    }
    plan.push_back(p);
  }
  return plan;
}

// Per routine, the hook pair the tracer tries: fentry where a probe program
// attached, else kprobe where the kernel has them. If the real programs do not
// load, kprobes only, then no copy hooks at all (copies are attributed).
std::vector<std::vector<CopyVia>> copy_hook_tries(const std::vector<CopyRoutinePlan>& plan) {
  std::vector<std::vector<CopyVia>> tries;
  for (bool fentry : {true, false}) {
    std::vector<CopyVia> via;
    for (const CopyRoutinePlan& p : plan)
      via.push_back(fentry && p.fentry_ok ? CopyVia::Fentry : p.kprobe_ok ? CopyVia::Kprobe : CopyVia::None);
    if (tries.empty() || via != tries.back()) tries.push_back(via);
  }
  std::vector<CopyVia> none(plan.size(), CopyVia::None);
  if (tries.back() != none) tries.push_back(none);
  return tries;
}

}  // namespace

struct KernelFeatures {
  bool tracepoint[std::size(kTracepoints)] = {};  // per kTracepoints row: in this kernel
  bool uring_complete_fields = false;             // io_uring_complete's Linux 6.1 layout
  std::vector<CopyRoutinePlan> copy_routines;     // per enum cs_copy_routine
};

namespace {

KernelFeatures probe_features() {
  KernelFeatures f;
  for (size_t i = 0; i < std::size(kTracepoints); ++i)
    f.tracepoint[i] = tracepoint_exists(kTracepoints[i].category, kTracepoints[i].name);
  // The kernel's BTF is parsed once here for every question asked of it.
  btf* vmlinux = btf__load_vmlinux_btf();
  if (libbpf_get_error(vmlinux)) vmlinux = nullptr;
  f.copy_routines = probe_copy_hooks(vmlinux);
  f.uring_complete_fields = uring_complete_passes_fields(vmlinux);
  btf__free(vmlinux);
  return f;
}

bpf_program* copy_prog(copyscope_bpf* skel, const char* kind, const std::string& routine) {
  return bpf_object__find_program_by_name(skel->obj, (std::string(kind) + "_" + routine).c_str());
}

// ---------------------------------------------------------------------------
// Configure: between open and load, the read-only data and every decision of
// which program loads. via says how each copy routine is hooked this attempt.
void configure(copyscope_bpf* skel, const TracerOptions& opt, const KernelFeatures& f,
               const std::vector<CopyVia>& via) {
  skel->rodata->emit_events = opt.emit_events ? 1 : 0;
  skel->rodata->name_fds = opt.name_fds && opt.emit_events ? 1 : 0;
  // Each CPU's share of the ring's wake-up interval, one full batch at least.
  skel->rodata->wake_cpu_bytes = static_cast<__u32>(
      std::max<size_t>(skel->rodata->wakeup_bytes / static_cast<size_t>(std::max(1, libbpf_num_possible_cpus())),
                       BPF_RINGBUF_HDR_SZ + CS_BATCH * sizeof(cs_event)));

  for (size_t i = 0; i < std::size(kTracepoints); ++i)
    if (!f.tracepoint[i]) bpf_program__set_autoload(skel->progs.*kTracepoints[i].prog, false);

  // io_uring_complete: the program that reads this kernel's argument layout.
  if (bpf_program__autoload(skel->progs.on_uring_complete) && f.uring_complete_fields) {
    bpf_program__set_autoload(skel->progs.on_uring_complete, false);
    bpf_program__set_autoload(skel->progs.on_uring_complete_fields, true);
  }

  // Copy hooks: off unless chosen; attach() attaches them one routine at a time.
  for (size_t r = 0; r < f.copy_routines.size(); ++r)
    for (const CopyHookKind& kind : kCopyHookKinds)
      if (bpf_program* prog = copy_prog(skel, kind.name, f.copy_routines[r].name)) {
        bpf_program__set_autoload(prog, kind.via == via[r]);
        bpf_program__set_autoattach(prog, false);
      }
}

// kernel.hooks for the copy routines, and whether copies are measured: every
// routine's fentry and kprobe, with why. The copy sites must all be hooked
// for "measured"; the lib/ routines inside them are extras (the per-thread
// depth keeps a copy from counting twice).
void describe_copy_hooks(const std::vector<CopyRoutinePlan>& plan, const std::vector<CopyVia>& via,
                         const std::vector<bool>& hooked, const std::vector<std::string>& attach_failed,
                         const std::vector<std::string>& load_failed, KernelInfo& kernel) {
  size_t sites = 0, extras = 0, by_fentry = 0, by_kprobe = 0;
  std::vector<std::string> unhooked;
  for (size_t r = 0; r < plan.size(); ++r) {
    const CopyRoutinePlan& p = plan[r];
    const bool site = p.routine >= CS_CR_FILEMAP_READ;
    Hook fe{"fentry/" + p.name, "unavailable", p.fentry_why};
    Hook kp{"kprobe/" + p.name, "unavailable", p.kprobe_why};
    if (p.in_btf) {
      sites += site;
      if (p.fentry_ok)
        fe = {fe.name, "available", "fentry attaches here"};
      else
        fe.status = p.fentry_why.rfind("not tried", 0) == 0 ? "available" : "refused";
      if (p.kprobe_ok) kp = {kp.name, "available", "kprobe PMU present"};
      Hook& used = via[r] == CopyVia::Fentry ? fe : kp;
      if (hooked[r]) {
        used.status = "attached";
        used.detail = std::string(site ? "measures copies" : "measures copies made outside the copy sites") +
                      (via[r] == CopyVia::Fentry ? ": fentry + fexit (the return value gives the bytes copied)"
                                                 : ": kprobe + kretprobe (fentry: " + p.fentry_why + ")");
        if (via[r] == CopyVia::Fentry && p.kprobe_ok) kp.detail = "not needed: fentry is attached";
        if (site)
          ++(via[r] == CopyVia::Fentry ? by_fentry : by_kprobe);
        else
          ++extras;
      } else {
        if (site) unhooked.push_back(p.name);
        if (!attach_failed[r].empty()) {
          used.status = "refused";
          used.detail = attach_failed[r];
        }
        if (!load_failed[r].empty()) {
          Hook& tried = p.fentry_ok ? fe : kp;
          tried.status = "refused";
          tried.detail = load_failed[r];
        }
        // Standard kernels build lib/ without ftrace: no fentry, no kprobe event.
        if (!site)
          for (Hook* h : {&fe, &kp})
            if (h->status == "refused")
              h->detail +=
                  " (lib/ is built without ftrace on standard kernels, so its routines cannot be traced; "
                  "the copy sites that call them are hooked instead)";
      }
    }
    kernel.hooks.push_back(fe);
    kernel.hooks.push_back(kp);
  }
  if (sites > 0 && unhooked.empty()) {
    kernel.copy_accounting = "measured";
    kernel.copy_accounting_why = "all " + std::to_string(sites) + " copy sites of this kernel are hooked (" +
                                 std::to_string(by_fentry) + " by fentry, " + std::to_string(by_kprobe) +
                                 " by kprobe), plus " + std::to_string(extras) + " lib/ copy routines";
  } else {
    kernel.copy_accounting = "attributed";
    std::string names;
    for (const std::string& n : unhooked) names += (names.empty() ? "" : ", ") + n;
    kernel.copy_accounting_why =
        sites == 0 ? "none of the known copy sites is in this kernel's BTF"
                   : std::to_string(unhooked.size()) + " of " + std::to_string(sites) +
                         " copy sites of this kernel could not be hooked (" + names +
                         "; see kernel.hooks), so copies are attributed from syscall results and fd kinds";
  }
}

// Calls fn(key, values) for every entry of a per-CPU hash map, one value per CPU.
template <typename Key, typename Val, typename Fn>
void for_each_percpu_entry(bpf_map* map, int ncpu, Fn&& fn) {
  std::vector<Val> vals(static_cast<size_t>(ncpu));
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map__get_next_key(map, prev, &next, sizeof next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map__lookup_elem(map, &key, sizeof key, vals.data(), sizeof(Val) * vals.size(), 0) == 0) fn(key, vals);
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// The lifecycle.

void Tracer::SkeletonDeleter::operator()(copyscope_bpf* skel) const { copyscope_bpf__destroy(skel); }
void Tracer::LinkDeleter::operator()(bpf_link* link) const { bpf_link__destroy(link); }
void Tracer::RingDeleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
Tracer::Fd::~Fd() {
  if (fd >= 0) close(fd);
}

// A constructor that throws destroys the members it made: every step below
// leaves its result in a member, so a failure needs no cleanup of its own.
Tracer::Tracer(const TracerOptions& opt) : whole_lifetime_(opt.whole_lifetime), name_fds_(opt.name_fds) {
  libbpf_set_print(libbpf_print);
  kernel_.release = kernel_release();
  // The device TCP's pages leave through: loopback, or the lab VM's card.
  kernel_.net_device = sink_net_device();
  kernel_.nic_sg = device_scatter_gather(kernel_.net_device);
  const KernelFeatures features = probe_features();
  std::vector<std::string> load_failed(features.copy_routines.size());
  const std::vector<CopyVia> via = load(opt, features, load_failed);
  attach(opt, features, via, load_failed);
  open_ring();
  // The traced program's whole lifetime is its phase: the windows that
  // phases_open opens (DMA mappings, segmentation copies) stay open.
  if (whole_lifetime_) skel_->bss->phases_open = 1;
}

// open -> configure -> load. A load the kernel refuses is tried again with
// fewer copy hooks (kprobes only, then none): copies are then attributed, and
// load_failed says why for each routine. Returns how each routine is hooked.
std::vector<CopyVia> Tracer::load(const TracerOptions& opt, const KernelFeatures& features,
                                  std::vector<std::string>& load_failed) {
  const std::vector<std::vector<CopyVia>> tries = copy_hook_tries(features.copy_routines);
  for (size_t t = 0;; ++t) {
    skel_.reset(copyscope_bpf__open());
    if (!skel_) {
      const int err = errno;
      throw TraceError("failed to open the BPF object: " + errstr(err));
    }
    configure(skel_.get(), opt, features, tries[t]);
    const int err = copyscope_bpf__load(skel_.get());
    if (!err) return tries[t];
    skel_.reset();
    if (t + 1 == tries.size())
      throw TraceError("failed to load the BPF programs: " + errstr(err) +
                       " (run with COPYSCOPE_DEBUG=1 to see the verifier's log)");
    for (size_t r = 0; r < load_failed.size(); ++r)
      if (tries[t][r] != CopyVia::None && load_failed[r].empty())
        load_failed[r] = std::string("the measuring ") + (tries[t][r] == CopyVia::Fentry ? "fentry" : "kprobe") +
                         " programs did not load: " + errstr(err) + " (COPYSCOPE_DEBUG=1 shows the verifier's log)";
  }
}

// The skeleton's programs, the copy hooks (one routine at a time: a routine
// that does not attach leaves the others measured) and the USDT markers;
// kernel_.hooks says what is attached and why the rest is not.
void Tracer::attach(const TracerOptions& opt, const KernelFeatures& features, const std::vector<CopyVia>& via,
                    const std::vector<std::string>& load_failed) {
  if (int err = copyscope_bpf__attach(skel_.get()))
    throw TraceError("failed to attach the BPF programs: " + errstr(err));

  // The exit hook first: a routine already running when the entry hook
  // arrives then meets an exit without a frame (ignored), never the reverse
  // (a frame whose exit never comes).
  const std::vector<CopyRoutinePlan>& plan = features.copy_routines;
  std::vector<std::string> attach_failed(plan.size());
  std::vector<bool> hooked(plan.size(), false);
  for (size_t r = 0; r < plan.size(); ++r) {
    if (via[r] == CopyVia::None) continue;
    const bool fentry = via[r] == CopyVia::Fentry;
    bpf_program* entry = copy_prog(skel_.get(), fentry ? "fentry" : "kprobe", plan[r].name);
    bpf_program* exit = copy_prog(skel_.get(), fentry ? "fexit" : "kretprobe", plan[r].name);
    Link exit_link(exit ? bpf_program__attach(exit) : nullptr);
    int err = errno;
    Link entry_link(exit_link && entry ? bpf_program__attach(entry) : nullptr);
    if (exit_link && !entry_link) err = errno;
    if (!entry_link) {
      attach_failed[r] = std::string("failed to attach ") + (fentry ? "fentry/fexit" : "kprobe/kretprobe") + " to " +
                         plan[r].name + ": " + errstr(err);
      continue;
    }
    copy_exit_links_.push_back(std::move(exit_link));
    copy_entry_links_.push_back(std::move(entry_link));
    hooked[r] = true;
  }
  describe_copy_hooks(plan, via, hooked, attach_failed, load_failed, kernel_);
  for (size_t i = 0; i < std::size(kTracepoints); ++i) {
    const TracepointProgram& tp = kTracepoints[i];
    const bool ok = features.tracepoint[i];
    if (ok && std::string(tp.category) == "dma") dma_tracepoints_ = true;
    kernel_.hooks.push_back({std::string(tp.kind) + "/" + tp.category + "/" + tp.name, ok ? "attached" : "unavailable",
                             ok ? "" : "no such tracepoint in this kernel: its counters stay 0 and are not facts"});
  }

  if (opt.scenario_binary.empty()) {
    kernel_.hooks.push_back({"usdt/copyscope:phase_begin", "unavailable",
                             "a traced program has no phase markers: its whole traced lifetime is the phase"});
    return;
  }
  for (auto [prog, probe] :
       {std::pair{skel_->progs.on_phase_begin, "phase_begin"}, std::pair{skel_->progs.on_phase_end, "phase_end"}}) {
    Link link(bpf_program__attach_usdt(prog, -1, opt.scenario_binary.c_str(), "copyscope", probe, nullptr));
    if (!link) {
      const int err = errno;
      throw TraceError(std::string("failed to attach usdt copyscope:") + probe + " in " + opt.scenario_binary + ": " +
                       errstr(err));
    }
    usdt_links_.push_back(std::move(link));
    kernel_.hooks.push_back({std::string("usdt/copyscope:") + probe, "attached", "transfer-phase marker"});
  }
}

// libbpf waits for the ring level-triggered: ready whenever one byte waits,
// so a consumer that has just drained it often finds the next batch there
// and goes round again without the kernel's wake-up. Edge-triggered, it
// sleeps until the kernel wakes it (every wakeup_bytes) or its timeout, and
// takes fewer rounds for the same events.
void Tracer::open_ring() {
  rb_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.events), &Tracer::on_event, this, nullptr));
  if (!rb_) {
    const int err = errno;
    throw TraceError("failed to create the ring buffer reader: " + errstr(err));
  }
  epoll_.fd = epoll_create1(EPOLL_CLOEXEC);
  epoll_event want{};
  want.events = EPOLLIN | EPOLLET;
  if (epoll_.fd < 0 || epoll_ctl(epoll_.fd, EPOLL_CTL_ADD, bpf_map__fd(skel_->maps.events), &want) != 0) {
    const int err = errno;
    throw TraceError("failed to wait for the ring buffer: " + errstr(err));
  }
}

// The threads first; then the members go, in reverse order of declaration:
// the epoll fd, the ring, the USDT links, the copy hooks' entries before
// their exits, the skeleton (its own links and programs) last.
Tracer::~Tracer() { stop(); }

void Tracer::track(pid_t tgid) {
  __u32 key = static_cast<__u32>(tgid);
  cs_proc proc{};
  proc.tgid = key;
  proc.st.role = CS_ROLE_SENDER;
  proc.st.in_phase = whole_lifetime_ ? 1 : 0;  // forks copy it (sched.bpf.h)
  // The process's slot in `procs`, or the `tracked` hash if another holds it.
  __u32 slot = key & (CS_PROC_SLOTS - 1);
  cs_proc held{};
  int err = bpf_map__lookup_elem(skel_->maps.procs, &slot, sizeof slot, &held, sizeof held, 0);
  if (!err && (held.tgid == 0 || held.tgid == key)) {
    err = bpf_map__update_elem(skel_->maps.procs, &slot, sizeof slot, &proc, sizeof proc, BPF_ANY);
  } else if (!err) {
    __atomic_fetch_add(&skel_->bss->procs_spilled, 1, __ATOMIC_SEQ_CST);
    err = bpf_map__update_elem(skel_->maps.tracked, &key, sizeof key, &proc.st, sizeof proc.st, BPF_ANY);
  }
  if (err) throw TraceError("failed to track pid " + std::to_string(tgid) + ": " + errstr(errno));
}

// A ring record is a batch of events (CS_BATCH at most, see struct cs_batch).
// Called by ring_buffer__consume() with staged_mu_ held.
int Tracer::on_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Tracer*>(ctx);
  append_events(self->staged_, static_cast<const Event*>(data), size / sizeof(Event));
  return 0;
}

// Events still waiting in the per-CPU batches (a task that made a few and
// then neither left its CPU nor exited): counted as captured, not yet sent.
void Tracer::drain_batches() {
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<cs_batch> per_cpu(static_cast<size_t>(ncpu));
  __u32 zero = 0;
  if (bpf_map__lookup_elem(skel_->maps.batches, &zero, sizeof zero, per_cpu.data(), sizeof(cs_batch) * per_cpu.size(),
                           0))
    return;
  std::lock_guard<std::mutex> lock(staged_mu_);
  for (const cs_batch& b : per_cpu) staged_.insert(staged_.end(), b.ev, b.ev + std::min<__u32>(b.n, CS_BATCH));
}

// Moves what the ring holds into staged_ and wakes the store thread.
void Tracer::consume_ring() {
  bool any;
  {
    std::lock_guard<std::mutex> lock(staged_mu_);
    ring_buffer__consume(rb_.get());
    any = !staged_.empty();
    if (!live_) staged_.clear();
  }
  if (any && live_) staged_cv_.notify_one();
}

// The capture thread only drains the ring into staged_, memory it has used
// before. Appending to the event log is the store thread's work: the log's
// pages are new, and the first write to memory a VM's host has not backed yet
// can cost milliseconds, long enough for the kernel's ring to overflow
// meanwhile. The GUI's lock on the log, taken once per frame, likewise holds
// up only the store thread.
void Tracer::poll_loop() {
  // Ahead of CPU-bound work beside it (where the process may raise its
  // priority; else as it is): a wake-up left waiting for a CPU while the
  // producer fills the ring is how events are dropped on a busy machine.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kCaptureNice);
  while (!stopping_.load(std::memory_order_acquire)) {
    epoll_event ready{};
    epoll_wait(epoll_.fd, &ready, 1, kPollTimeoutMs);
    consume_ring();
  }
  consume_ring();
  drain_batches();
  {
    std::lock_guard<std::mutex> lock(staged_mu_);
    capture_done_ = true;
  }
  staged_cv_.notify_one();
}

void Tracer::note_threads(const EventLog& batch) {
  // A bound: a scenario has a few dozen threads (a JVM's included).
  constexpr size_t kMaxNames = 4096;
  uint32_t last = 0;
  for (const Event& e : batch) {
    if (e.tid == last || e.tid == 0) continue;
    last = e.tid;
    if (thread_names_.size() >= kMaxNames || thread_names_.count(e.tid)) continue;
    std::string name;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%u/task/%u/comm", e.tgid, e.tid);
    if (FILE* f = std::fopen(path, "re")) {
      char buf[32] = {};
      if (std::fgets(buf, sizeof buf, f))
        for (const char* c = buf; *c && *c != '\n'; ++c)
          name += (*c >= 0x20 && *c < 0x7f) ? *c : '?';  // comm is the program's to set: printable only
      std::fclose(f);
    }
    thread_names_[e.tid] = name;  // empty: gone already; not asked again
  }
}

namespace {

// "127.0.0.1:8080" from /proc/net/tcp's "0100007F:1F90" (IPv4) or its IPv6 form.
std::string proc_net_address(const std::string& hex) {
  const size_t colon = hex.find(':');
  if (colon == std::string::npos) return "?";
  const std::string addr = hex.substr(0, colon);
  const unsigned port = static_cast<unsigned>(std::strtoul(hex.c_str() + colon + 1, nullptr, 16));
  char buf[96];
  if (addr.size() == 8) {
    const unsigned long v = std::strtoul(addr.c_str(), nullptr, 16);  // host order of the kernel's bytes
    std::snprintf(buf, sizeof buf, "%lu.%lu.%lu.%lu:%u", v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >> 24) & 255,
                  port);
    return buf;
  }
  if (addr.size() == 32) {
    // Four 32-bit words, each in the kernel's byte order.
    unsigned char b[16];
    for (int w = 0; w < 4; ++w) {
      const unsigned long v = std::strtoul(addr.substr(static_cast<size_t>(w) * 8, 8).c_str(), nullptr, 16);
      for (int i = 0; i < 4; ++i) b[w * 4 + i] = static_cast<unsigned char>((v >> (8 * i)) & 255);
    }
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) == 0) {
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", b[12], b[13], b[14], b[15], port);
      return buf;
    }
    std::string s = "[";
    for (int i = 0; i < 16; i += 2) {
      char h[8];
      std::snprintf(h, sizeof h, "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
      s += h;
    }
    return s + "]:" + std::to_string(port);
  }
  return "?";
}

// The local and remote address of the TCP or UDP socket with inode `ino`
// in process tgid's network namespace, or empty.
std::string socket_addresses(uint32_t tgid, const std::string& ino) {
  for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
    const std::string path = "/proc/" + std::to_string(tgid) + "/net/" + table;
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) continue;
    char line[512];
    std::string found;
    while (found.empty() && std::fgets(line, sizeof line, f)) {
      char local[64], remote[64], inode[32];
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (std::sscanf(line, " %*s %63s %63s %*s %*s %*s %*s %*s %*s %31s", local, remote, inode) != 3) continue;
      if (ino != inode) continue;
      const std::string proto = table[0] == 't' ? "tcp " : "udp ";
      found = proto + proc_net_address(local) + " <-> " + proc_net_address(remote);
    }
    std::fclose(f);
    if (!found.empty()) return found;
  }
  return {};
}

}  // namespace

// The descriptors' names (CS_EV_FD_NAME, bpf/fd_kind.bpf.h) become
// Run::fd_names and leave the batch: they are not events of the timeline. A
// file's name is its directory's and its own as the kernel gave them (32
// bytes each), made the full path from /proc while the process still has the
// file and the path ends in that name; a socket's, its addresses from
// /proc/PID/net while it is open.
void Tracer::note_fds(EventLog& batch) {
  auto text = [](const Event& e) {
    char buf[CS_FDN_BYTES + 1] = {};
    std::memcpy(buf, &e.dur, CS_FDN_BYTES);
    return std::string(buf);
  };
  size_t kept = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Event& e = batch[i];
    if (e.type != CS_EV_FD_NAME) {
      if (kept != i) batch[kept] = e;
      ++kept;
      continue;
    }
    if (e.b == CS_FDN_PARENT) {
      fd_parents_[e.tid] = text(e);
      continue;
    }
    if (fd_names_.size() >= kMaxFdNames) continue;
    const int fd = e.sys;
    std::string name;
    char path[64], target[kMaxFdNameBytes];
    std::snprintf(path, sizeof path, "/proc/%u/fd/%d", e.tgid, fd);
    const ssize_t n = readlink(path, target, sizeof target - 1);
    const std::string link = n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
    if (e.b == CS_FDN_INODE) {
      const std::string ino = std::to_string(e.arg0);
      if (e.a == CS_FD_PIPE) {
        name = "pipe:[" + ino + "]";
      } else {
        name = socket_addresses(e.tgid, ino);
        if (name.empty()) name = "socket:[" + ino + "]";
      }
    } else {
      const std::string own = text(e);
      std::string dir = fd_parents_[e.tid];
      fd_parents_.erase(e.tid);
      const bool cut = own.size() >= CS_FDN_BYTES - 1;  // the kernel's name may be longer
      if (!link.empty() && link[0] == '/' && !cut &&
          (link == "/" + own || (link.size() > own.size() + 1 && link.compare(link.size() - own.size() - 1, std::string::npos, "/" + own) == 0)))
        name = link;
      else if (own == "/")
        name = "/";
      else  // a filesystem's root is "/" whatever its mount point: the path above it is unknown
        name = (dir == "/" ? std::string(".../") : ".../" + dir + "/") + own;
    }
    fd_names_.push_back({e.tgid, fd, e.ts, printable_fd_name(name)});
  }
  batch.resize(kept);
}

void Tracer::store_loop() {
  EventLog& out = store_out_;
  std::unique_lock<std::mutex> lock(staged_mu_);
  for (;;) {
    staged_cv_.wait(lock, [this] { return !staged_.empty() || capture_done_; });
    const bool done = capture_done_;
    out.swap(staged_);  // the capture thread goes on in the emptied vector, its pages already in use
    lock.unlock();
    if (name_fds_) note_fds(out);
    if (!out.empty()) {
      note_threads(out);
      live_->append(out);
    }
    out.clear();
    lock.lock();
    if (done && staged_.empty()) return;
  }
}

void Tracer::start(LiveRun* live, size_t expected_events) {
  live_ = live;
  // As much of the log as the run is expected to need, up to
  // kPrefaultEvents, is made memory now, before the scenario starts; a longer
  // capture takes the rest of its faults as it goes. Too little, and the
  // store thread faults in the last of it while the scenario waits for the CPU.
  if (live_) live_->reserve(kEventLogCapacity, std::min(expected_events, kPrefaultEvents));
  // Both staging blocks are written once here, so that their pages exist
  // before the capture needs them (the capture thread gets the store
  // thread's at the first swap).
  staged_.assign(kStagedEvents, Event{});
  staged_.clear();
  if (live_) {
    store_out_.assign(kStagedEvents, Event{});
    store_out_.clear();
  }
  capture_done_ = false;
  stopping_ = false;
  thread_ = std::thread([this] { poll_loop(); });
  if (live_) store_thread_ = std::thread([this] { store_loop(); });
}

void Tracer::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
  if (store_thread_.joinable()) store_thread_.join();
}

void Tracer::collect(Run& run) const {
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<cs_counters> per_cpu(static_cast<size_t>(ncpu));
  for (__u32 role = 0; role < CS_ROLE_MAX; ++role) {
    run.counters[role] = RoleCounters{};
    if (bpf_map__lookup_elem(skel_->maps.counters, &role, sizeof role, per_cpu.data(),
                             sizeof(cs_counters) * per_cpu.size(), 0))
      continue;
    for (const cs_counters& c : per_cpu) run.counters[role] += c;
  }
  run.flows.clear();
  // The syscall flows: one per-CPU array (every slot in one batch read).
  std::vector<__u32> slots(CS_FLOW_SLOTS);
  std::vector<cs_flow_val> vals(CS_FLOW_SLOTS * static_cast<size_t>(ncpu));
  for (__u32 i = 0; i < CS_FLOW_SLOTS; ++i) slots[i] = i;
  __u32 count = CS_FLOW_SLOTS, out_batch = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, batch_opts);
  if (bpf_map_lookup_batch(bpf_map__fd(skel_->maps.sys_flows), nullptr, &out_batch, slots.data(), vals.data(), &count,
                           &batch_opts) &&
      errno != ENOENT)
    count = 0;
  for (__u32 i = 0; i < count; ++i) {
    Flow f;
    for (int cpu = 0; cpu < ncpu; ++cpu) {
      const cs_flow_val& v = vals[static_cast<size_t>(i) * static_cast<size_t>(ncpu) + static_cast<size_t>(cpu)];
      f.calls += v.calls;
      f.bytes += v.bytes;
    }
    if (f.calls == 0) continue;
    unsigned role, sys, src, dst;
    cs_flow_unslot(slots[i], &role, &sys, &src, &dst);
    f.role = static_cast<Role>(role);
    f.sys = static_cast<uint8_t>(sys);
    f.src = static_cast<uint8_t>(src);
    f.dst = static_cast<uint8_t>(dst);
    run.flows.push_back(f);
  }
  for_each_percpu_entry<cs_flow_key, cs_flow_val>(skel_->maps.flows, ncpu, [&](const cs_flow_key& k, const auto& vals) {
    Flow f;
    f.role = static_cast<Role>(k.role);
    f.sys = k.sys;
    f.src = k.src;
    f.dst = k.dst;
    for (const cs_flow_val& v : vals) {
      f.calls += v.calls;
      f.bytes += v.bytes;
    }
    run.flows.push_back(f);
  });
  std::sort(run.flows.begin(), run.flows.end(), [](const Flow& a, const Flow& b) {
    return std::tie(a.role, a.sys, a.src, a.dst) < std::tie(b.role, b.sys, b.src, b.dst);
  });
  run.measured_copies.clear();
  for_each_percpu_entry<cs_copy_key, cs_copy_val>(skel_->maps.copies, ncpu,
                                                  [&](const cs_copy_key& k, const auto& vals) {
                                                    MeasuredCopy m;
                                                    m.role = static_cast<Role>(k.role);
                                                    m.sys = k.sys;
                                                    m.src = k.src;
                                                    m.dst = k.dst;
                                                    m.dir = k.dir;
                                                    m.routine = k.routine;
                                                    for (const cs_copy_val& v : vals) {
                                                      m.calls += v.calls;
                                                      m.bytes += v.bytes;
                                                    }
                                                    run.measured_copies.push_back(m);
                                                  });
  std::sort(run.measured_copies.begin(), run.measured_copies.end(), [](const MeasuredCopy& a, const MeasuredCopy& b) {
    return std::tie(a.role, a.sys, a.src, a.dst, a.dir, a.routine) <
           std::tie(b.role, b.sys, b.src, b.dst, b.dir, b.routine);
  });
  // Partly hooked is not measured: keep no half figures in the model.
  if (kernel_.copy_accounting != "measured") {
    run.measured_copies.clear();
    for (RoleCounters& c : run.counters)
      c.copy_calls = c.copy_to_user_bytes = c.copy_from_user_bytes = c.copy_kernel_bytes = 0;
  }
  run.kernel = kernel_;
  for (const auto& [tid, name] : thread_names_)
    if (!name.empty()) run.thread_names[tid] = name;
  run.fd_names = fd_names_;
  std::stable_sort(run.fd_names.begin(), run.fd_names.end(),
                   [](const FdName& a, const FdName& b) { return a.ts < b.ts; });
  collect_dma(run);
}

// The dma_maps table (bpf/dma.bpf.h) and what it says about DMA accounting.
void Tracer::collect_dma(Run& run) const {
  static const char* const kDirections[] = {"bidirectional", "to_device", "from_device"};
  run.dma_mappings.clear();
  cs_dma_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map__get_next_key(skel_->maps.dma_maps, prev, &next, sizeof next) == 0) {
    key = next;
    prev = &key;
    cs_dma_val v{};
    if (bpf_map__lookup_elem(skel_->maps.dma_maps, &key, sizeof key, &v, sizeof v, 0) != 0 || key.dir > 2) continue;
    DmaMapping m;
    for (char c : std::string(key.driver, strnlen(key.driver, sizeof key.driver)))
      m.driver += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ? c : '_';
    if (m.driver.empty()) m.driver = "unknown";
    m.device = dma_device_kind(m.driver);
    m.direction = kDirections[key.dir];
    m.ours = key.mine;
    m.maps = v.maps;
    m.bytes = v.bytes;
    run.dma_mappings.push_back(std::move(m));
  }
  std::sort(run.dma_mappings.begin(), run.dma_mappings.end(), [](const DmaMapping& a, const DmaMapping& b) {
    return std::tie(a.driver, a.direction, a.ours) < std::tie(b.driver, b.direction, b.ours);
  });
  KernelInfo& k = run.kernel;
  if (!run.dma_mappings.empty()) {
    std::string drivers;
    for (const DmaMapping& m : run.dma_mappings)
      if (drivers.find(m.driver) == std::string::npos) drivers += (drivers.empty() ? "" : ", ") + m.driver;
    k.dma_accounting = "measured";
    k.dma_accounting_why = "the dma:* tracepoints saw the drivers map memory for their devices (" + drivers + ")";
  } else if (!dma_tracepoints_) {
    k.dma_accounting = "block-layer";
    k.dma_accounting_why =
        "this kernel has no dma:* tracepoints: the disk's DMA is inferred from its block requests, a network card's "
        "from its transmits";
  } else {
    k.dma_accounting = "block-layer";
    k.dma_accounting_why =
        "no device mapped memory through the DMA API during the transfer (virtio devices without an IOMMU and "
        "loopback do not): the disk's DMA is inferred from its block requests";
  }
}

}  // namespace copyscope
