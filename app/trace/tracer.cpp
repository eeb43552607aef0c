#include "trace/tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>

#include "copyscope.skel.h"
#include "trace/environment.h"

namespace copyscope {

namespace {

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf's own messages are noise for a student; keep warnings for debugging.
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG || !std::getenv("COPYSCOPE_DEBUG")) return 0;
  return vfprintf(stderr, fmt, args);
}

// Copy routines by name; they drift between kernels and architectures.
constexpr const char* kCopyRoutines[] = {
    "_copy_to_user", "_copy_from_user", "copy_page_to_iter", "copy_page_from_iter_atomic",
    "_copy_to_iter", "_copy_from_iter",
};

// Can a trivial fentry program load and attach to this function?
Hook probe_fentry(const btf* vmlinux, const char* func) {
  Hook h{std::string("fentry/") + func, "unavailable", ""};
  int id = vmlinux ? btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) : -ENOENT;
  if (id < 0) {
    h.detail = "not in this kernel's BTF";
    return h;
  }
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<__u32>(id));
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "cs_probe", "GPL", insns, 2, &opts);
  if (fd < 0) {
    h.status = "refused";
    h.detail = "the kernel refused to load an fentry program: " + errstr(errno);
    return h;
  }
  int link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, nullptr);
  if (link < 0) {
    h.status = "refused";
    h.detail = "fentry program loaded but did not attach: " + errstr(errno);
  } else {
    h.status = "available";
    h.detail = "fentry attaches; this build still attributes copies (measured hooks: issue 8)";
    close(link);
  }
  close(fd);
  return h;
}

Hook probe_kprobe(const char* func) {
  Hook h{std::string("kprobe/") + func, "unavailable", ""};
  std::error_code ec;
  if (!std::filesystem::exists("/sys/bus/event_source/devices/kprobe/type", ec)) {
    h.detail = "this kernel is built without kprobes (no kprobe PMU)";
    return h;
  }
  h.status = "available";
  h.detail = "kprobe PMU present; this build still attributes copies (measured hooks: issue 8)";
  return h;
}

}  // namespace

std::vector<Hook> probe_copy_hooks(std::string* accounting) {
  std::vector<Hook> hooks;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (libbpf_get_error(vmlinux)) vmlinux = nullptr;
  for (const char* f : kCopyRoutines) {
    hooks.push_back(probe_fentry(vmlinux, f));
    hooks.push_back(probe_kprobe(f));
  }
  btf__free(vmlinux);
  if (accounting) *accounting = "attributed";
  return hooks;
}

Tracer::Tracer(const TracerOptions& opt) {
  libbpf_set_print(libbpf_print);
  kernel_.release = kernel_release();
  kernel_.hooks = probe_copy_hooks(&kernel_.copy_accounting);

  skel_ = copyscope_bpf__open();
  if (!skel_) throw TraceError("failed to open the BPF object: " + errstr(errno));
  skel_->rodata->emit_events = opt.emit_events ? 1 : 0;

  // Tracepoints the running kernel lacks are turned off, and said so. Raw
  // tracepoints have the same names, so tracefs tells for both.
  struct Tp {
    bpf_program* prog;
    const char* kind;
    const char* category;
    const char* name;
  } tps[] = {
      {skel_->progs.on_sys_enter, "raw_tp", "raw_syscalls", "sys_enter"},
      {skel_->progs.on_sys_exit, "raw_tp", "raw_syscalls", "sys_exit"},
      {skel_->progs.on_exit, "tracepoint", "sched", "sched_process_exit"},
      {skel_->progs.on_fault_user, "tracepoint", "exceptions", "page_fault_user"},
      {skel_->progs.on_fault_kernel, "tracepoint", "exceptions", "page_fault_kernel"},
      {skel_->progs.on_page_cache_add, "tracepoint", "filemap", "mm_filemap_add_to_page_cache"},
      {skel_->progs.on_sched_switch, "raw_tp", "sched", "sched_switch"},
      {skel_->progs.on_fork, "raw_tp", "sched", "sched_process_fork"},
      {skel_->progs.on_bio_queue, "raw_tp", "block", "block_bio_queue"},
      {skel_->progs.on_bio_split, "raw_tp", "block", "block_split"},
      {skel_->progs.on_rq_issue, "raw_tp", "block", "block_rq_issue"},
      {skel_->progs.on_rq_complete, "raw_tp", "block", "block_rq_complete"},
      {skel_->progs.on_net_xmit, "raw_tp", "net", "net_dev_start_xmit"},
      {skel_->progs.on_uring_complete, "raw_tp", "io_uring", "io_uring_complete"},
  };
  for (const Tp& tp : tps) {
    bool ok = tracepoint_exists(tp.category, tp.name);
    if (!ok) bpf_program__set_autoload(tp.prog, false);
    kernel_.hooks.push_back({std::string(tp.kind) + "/" + tp.category + "/" + tp.name, ok ? "attached" : "unavailable",
                             ok ? "" : "no such tracepoint in this kernel: its counters stay 0 and are not facts"});
  }

  if (int err = copyscope_bpf__load(skel_)) {
    copyscope_bpf__destroy(skel_);
    skel_ = nullptr;
    throw TraceError("failed to load the BPF programs: " + errstr(err) +
                     " (run with COPYSCOPE_DEBUG=1 to see the verifier's log)");
  }
  if (int err = copyscope_bpf__attach(skel_)) {
    copyscope_bpf__destroy(skel_);
    skel_ = nullptr;
    throw TraceError("failed to attach the BPF programs: " + errstr(err));
  }
  for (auto [prog, probe] : {std::pair{skel_->progs.on_phase_begin, "phase_begin"},
                             std::pair{skel_->progs.on_phase_end, "phase_end"}}) {
    bpf_link* link = bpf_program__attach_usdt(prog, -1, opt.scenario_binary.c_str(), "copyscope", probe, nullptr);
    if (!link) {
      int err = errno;
      for (bpf_link* l : usdt_links_) bpf_link__destroy(l);
      usdt_links_.clear();
      copyscope_bpf__destroy(skel_);
      skel_ = nullptr;
      throw TraceError(std::string("failed to attach usdt copyscope:") + probe + " in " + opt.scenario_binary + ": " +
                       errstr(err));
    }
    usdt_links_.push_back(link);
    kernel_.hooks.push_back({std::string("usdt/copyscope:") + probe, "attached", "transfer-phase marker"});
  }
  rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), &Tracer::on_event, this, nullptr);
  if (!rb_) {
    int err = errno;
    for (bpf_link* l : usdt_links_) bpf_link__destroy(l);
    copyscope_bpf__destroy(skel_);
    skel_ = nullptr;
    throw TraceError("failed to create the ring buffer reader: " + errstr(err));
  }
}

Tracer::~Tracer() {
  stop();
  if (rb_) ring_buffer__free(rb_);
  for (bpf_link* l : usdt_links_) bpf_link__destroy(l);
  if (skel_) copyscope_bpf__destroy(skel_);
}

void Tracer::track(pid_t tgid) {
  __u32 key = static_cast<__u32>(tgid);
  cs_task_state st{};
  st.role = CS_ROLE_SENDER;
  if (bpf_map__update_elem(skel_->maps.tracked, &key, sizeof key, &st, sizeof st, BPF_ANY))
    throw TraceError("failed to track pid " + std::to_string(tgid) + ": " + errstr(errno));
}

int Tracer::on_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Tracer*>(ctx);
  if (size >= sizeof(Event)) {
    Event ev;
    std::memcpy(&ev, data, sizeof ev);
    self->batch_.push_back(ev);
  }
  return 0;
}

void Tracer::poll_loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    ring_buffer__poll(rb_, 50);
    // Wake-ups are batched in the kernel; sweep what waits below the threshold too.
    ring_buffer__consume(rb_);
    if (!batch_.empty() && live_) {
      live_->append(batch_);
      batch_.clear();
    }
  }
  ring_buffer__consume(rb_);
  if (!batch_.empty() && live_) live_->append(batch_);
  batch_.clear();
}

void Tracer::start(LiveRun* live) {
  live_ = live;
  stopping_ = false;
  thread_ = std::thread([this] { poll_loop(); });
}

void Tracer::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
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
  std::vector<cs_flow_val> vals(static_cast<size_t>(ncpu));
  cs_flow_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map__get_next_key(skel_->maps.flows, prev, &next, sizeof next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map__lookup_elem(skel_->maps.flows, &key, sizeof key, vals.data(), sizeof(cs_flow_val) * vals.size(), 0))
      continue;
    Flow f;
    f.role = static_cast<Role>(key.role);
    f.sys = key.sys;
    f.src = key.src;
    f.dst = key.dst;
    for (const cs_flow_val& v : vals) {
      f.calls += v.calls;
      f.bytes += v.bytes;
    }
    run.flows.push_back(f);
  }
  std::sort(run.flows.begin(), run.flows.end(), [](const Flow& a, const Flow& b) {
    return std::tie(a.role, a.sys, a.src, a.dst) < std::tie(b.role, b.sys, b.src, b.dst);
  });
  run.kernel = kernel_;
}

}  // namespace copyscope
