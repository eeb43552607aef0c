// The lab VM (issue 25): scenarios run in Debian's stock kernels under qemu,
// on an emulated NVMe disk and two e1000 cards, where the dma:* tracepoints
// and the copy sites can be hooked. vm/copyscope-vm boots the guest; this is
// copyscope's side: what to run there and the traces that come back.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "launch/cancel.h"
#include "model/run.h"

namespace copyscope {

// What a run in the lab VM asks of it.
struct LabVm {
  std::string name;    // "debian-6.12" or "debian-6.1"
  std::string nic_sg;  // "", "on" or "off": the sending card's scatter-gather
  std::string fs;      // "", "ext4" or "xfs": the NVMe disk's filesystem, where the files are
};

// The lab VMs there are, newest kernel first.
const std::vector<std::string>& lab_vm_names();
bool is_lab_vm(const std::string& name);
// Why the lab VM cannot run here ("" when it can): copyscope-vm missing, not root.
std::string lab_vm_problem();
// Why method m cannot run in the lab VM ("" when it can).
std::string lab_vm_method_problem(const std::string& method);
// copyscope-vm: beside copyscope in a build directory, else in libexec ("" if neither).
std::string lab_vm_script();

struct LabVmRequest {
  std::vector<RunParams> plans;  // validated; run in this order, in one boot
  LabVm vm;
  int timeout_s = 600;           // per plan, for copyscope in the guest
  size_t max_events = 0;         // per plan (0: copyscope's default)
  const CancelToken* cancel = nullptr;
  // Each line copyscope-vm writes on stderr; when unset it goes to this stderr.
  std::function<void(const std::string&)> on_line;
};

// Boots the lab VM once, runs every plan and loads their traces (Run::where
// "vm:NAME"). Throws RunError; the runs that finished before a failure are
// in `done` when given. Cancelling stops the guest (exit 130).
std::vector<Run> run_in_lab_vm(const LabVmRequest& req, std::vector<Run>* done = nullptr);

// copyscope-vm prepare NAME with this copyscope's binaries, and copyscope-vm
// status [--json]: their exit codes; stdout and stderr are this process's.
// Throw RunError(2) when the lab VM cannot run here.
int lab_vm_prepare(const std::string& name);
int lab_vm_status(bool json);

}  // namespace copyscope
