// copy_file_range: the kernel copies file to file without the data passing
// through user space. With reflink support (btrfs, XFS) the filesystem shares
// the extents and copies nothing; without it (ext4) the kernel copies the pages.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "scenario.h"

namespace scenario {

namespace {

// Before the phase: can this filesystem share extents? FICLONE on a scratch copy says.
nlohmann::json probe_reflink(const Options& opt) {
  nlohmann::json r;
  struct statfs sfs {};
  if (statfs(opt.workdir.c_str(), &sfs) == 0) {
    char magic[32];
    std::snprintf(magic, sizeof magic, "0x%lx", static_cast<unsigned long>(sfs.f_type));
    r["fs_magic"] = magic;
    const char* name = sfs.f_type == 0xEF53       ? "ext4"
                       : sfs.f_type == 0x9123683E ? "btrfs"
                       : sfs.f_type == 0x58465342 ? "xfs"
                       : sfs.f_type == 0x01021994 ? "tmpfs"
                                                  : "other";
    r["fs"] = name;
  }
  int src = open_source(opt);
  int dst = create_in_workdir(opt.workdir, "reflink.probe", O_WRONLY);
  int rc = ioctl(dst, FICLONE, src);
  r["supported"] = rc == 0;
  if (rc) r["error"] = std::strerror(errno);
  close(dst);
  close(src);
  remove_from_workdir(opt.workdir, "reflink.probe");
  return r;
}

}  // namespace

Outcome run_copy_file_range(const Options& opt, Sink& sink) {
  nlohmann::json reflink = probe_reflink(opt);
  int in = open_source(opt);
  Outcome out;
  loff_t in_off = 0, out_off = 0;
  phase_begin();
  while (out.bytes < opt.size) {
    ssize_t n =
        copy_file_range(in, &in_off, sink.fd, &out_off, std::min<uint64_t>(opt.buffer, opt.size - out.bytes), 0);
    if (n < 0) fail("copy_file_range");
    ++out.units;
    if (n == 0) break;
    out.bytes += static_cast<uint64_t>(n);
  }
  phase_end();
  close(in);
  out.extra["reflink"] = reflink;
  return out;
}

}  // namespace scenario
