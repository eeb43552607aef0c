// Issue 8: the same binaries on Debian's stock 6.1 kernel (under qemu) and on this
// machine's kernel. Runs tests/kernel-matrix/run once and checks its JSON array.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "copy_accounting.h"

using nlohmann::json;

namespace {

constexpr const char* kSize = "16M";
constexpr double kSizeBytes = 16.0 * 1024 * 1024;
constexpr int kSkipExit = 77;

struct Matrix {
  int exit_code = -1;
  std::string stderr_text;
  std::string last_line;
  json runs = json::array();
};

std::string last_nonempty_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// One harness run for the whole suite: it boots a VM, so every case shares it.
const Matrix& matrix() {
  static const Matrix m = [] {
    Matrix r;
    char err_path[] = "/tmp/copyscope-kernel-matrix-test.XXXXXX";
    int fd = mkstemp(err_path);
    if (fd < 0) return r;
    close(fd);
    const std::string cmd = std::string(KERNEL_MATRIX_RUN) + " --build " + COPYSCOPE_BUILD_DIR +
                            " --methods read_write,sendfile,io_uring --size " + kSize + " 2>" + err_path;
    std::cerr << "running: " << cmd << "\n";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      std::array<char, 65536> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
      int status = pclose(p);
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::ifstream err(err_path);
    std::stringstream ss;
    ss << err.rdbuf();
    r.stderr_text = ss.str();
    unlink(err_path);
    r.last_line = last_nonempty_line(out);
    json j = json::parse(r.last_line, nullptr, false);
    if (j.is_array()) r.runs = j;
    std::cerr << "---- harness stderr ----\n"
              << r.stderr_text << "---- harness exit " << r.exit_code << ", last line of stdout ----\n"
              << r.last_line << "\n";
    for (const json& run : r.runs) {
      std::cerr << "got: " << run.value("where", "?") << " " << run.value("method", "?") << " on "
                << run["kernel"].value("release", "?")
                << ": copy_accounting=" << run["kernel"].value("copy_accounting", "(none)");
      if (run.contains("counters")) std::cerr << " cpu_copy_bytes=" << run["counters"].value("cpu_copy_bytes", 0ull);
      if (run.value("failed", false)) std::cerr << " FAILED: " << run.value("error", "");
      std::cerr << "\n";
    }
    return r;
  }();
  return m;
}

const json* find_run(const std::string& where, const std::string& method) {
  for (const json& r : matrix().runs)
    if (r.value("where", "") == where && r.value("method", "") == method) return &r;
  return nullptr;
}

std::string kernel_release(const json& run) { return run.contains("kernel") ? run["kernel"].value("release", "") : ""; }

class KernelMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: debootstrap builds the guest and the host run loads BPF";
    const Matrix& m = matrix();
    if (m.exit_code == kSkipExit)
      GTEST_SKIP() << "kernel-matrix prerequisites cannot be met here: " << last_nonempty_line(m.stderr_text);
  }
};

}  // namespace

TEST_F(KernelMatrix, HarnessSucceeds) {
  EXPECT_EQ(matrix().exit_code, 0) << last_nonempty_line(matrix().stderr_text);
  ASSERT_TRUE(json::parse(matrix().last_line, nullptr, false).is_array())
      << "the last line of stdout is not a JSON array: " << matrix().last_line;
}

TEST_F(KernelMatrix, GuestKernelDiffersFromHost) {
  const json* guest = find_run("vm", "read_write");
  const json* host = find_run("host", "read_write");
  ASSERT_TRUE(guest && host) << "need a guest and a host read_write run";
  EXPECT_FALSE(kernel_release(*guest).empty());
  EXPECT_NE(kernel_release(*guest), kernel_release(*host));
}

TEST_F(KernelMatrix, BothRunsSucceedInTheGuest) {
  for (const char* method : {"read_write", "sendfile"}) {
    const json* run = find_run("vm", method);
    ASSERT_TRUE(run) << "no guest " << method << " run in the output";
    EXPECT_FALSE(run->value("failed", false)) << method << ": " << run->value("error", "");
    EXPECT_GT(run->value("bytes", 0.0), 0.0) << method;
  }
}

// Each kernel's copy accounting is what its own probe of the copy hooks
// implies (measured only when every copy site is hooked), whatever this host
// allows: kprobes and fentry differ between machines, the rule does not.
TEST_F(KernelMatrix, AccountingFollowsEachKernelsProbe) {
  for (const char* where : {"host", "vm"})
    for (const char* method : {"read_write", "sendfile"}) {
      const json* run = find_run(where, method);
      ASSERT_TRUE(run) << "no " << where << " " << method << " run in the output";
      ASSERT_FALSE(run->value("failed", false)) << where << " " << method << ": " << run->value("error", "");
      expect_accounting_follows_the_probe((*run)["kernel"],
                                          std::string(where) + " " + method + " on " + kernel_release(*run));
    }
}

TEST_F(KernelMatrix, GuestIsMeasured) {
  for (const char* method : {"read_write", "sendfile"}) {
    const json* run = find_run("vm", method);
    ASSERT_TRUE(run) << "no guest " << method << " run in the output";
    ASSERT_FALSE(run->value("failed", false)) << method << ": " << run->value("error", "");
    EXPECT_EQ((*run)["kernel"].value("copy_accounting", ""), "measured")
        << method << " on " << kernel_release(*run) << ", hooks: " << (*run)["kernel"]["hooks"].dump();
  }
}

TEST_F(KernelMatrix, GuestReadWriteCopiesTwiceTheFile) {
  const json* run = find_run("vm", "read_write");
  ASSERT_TRUE(run && run->contains("counters")) << "no successful guest read_write run";
  EXPECT_EQ((*run)["params"].value("size", 0.0), kSizeBytes);
  const double copied = (*run)["counters"].value("cpu_copy_bytes", 0.0);
  EXPECT_NEAR(copied, 2 * kSizeBytes, 0.02 * 2 * kSizeBytes)
      << "read_write on " << kernel_release(*run) << " (" << (*run)["kernel"].value("copy_accounting", "")
      << "): cpu_copy_bytes " << copied << ", expected 2 x " << kSizeBytes;
}

// Loopback does scatter-gather on every kernel: the copy routines see no copy
// of the payload, and the page references carry the kernel's reason.
TEST_F(KernelMatrix, GuestSendfileReportsTheMeasuredFigureWithTheKernelsReason) {
  const json* run = find_run("vm", "sendfile");
  ASSERT_TRUE(run && run->contains("counters")) << "no successful guest sendfile run";
  const std::string release = kernel_release(*run);
  EXPECT_EQ((*run)["kernel"].value("copy_accounting", ""), "measured") << release;
  const uint64_t size = run->value("bytes", 0ull), copied = (*run)["counters"].value("cpu_copy_bytes", 0ull);
  EXPECT_LT(copied, size / 100) << release << ": the copy routines saw " << copied << " bytes copied";
  ASSERT_TRUE(run->contains("stages")) << release;
  bool refs = false;
  for (const json& st : (*run)["stages"])
    if (st.value("kind", "") == "page_ref" && st.value("to", "") == "socket_buffer") {
      refs = true;
      EXPECT_NE(st.value("rule", "").find("scatter-gather"), std::string::npos) << st.dump();
      EXPECT_LE(st.value("bytes", 0ull), size) << st.dump();
    }
  EXPECT_TRUE(refs) << release << ": no page-reference stage into the socket: " << (*run)["stages"].dump();
}

// io_uring_complete's arguments differ between 6.1 (the completion's fields)
// and newer kernels (a pointer to it): both must read the same flows.
TEST_F(KernelMatrix, IoUringFlowsReadTheSameOnBothKernels) {
  for (const char* where : {"vm", "host"}) {
    const json* run = find_run(where, "io_uring");
    ASSERT_TRUE(run) << "no " << where << " io_uring run in the output";
    ASSERT_FALSE(run->value("failed", false)) << where << ": " << run->value("error", "");
    uint64_t read = 0, write = 0;
    for (const json& c : (*run)["copies"]) {
      if (c.value("syscall", "") == "io_uring:read" && c.value("from", "") == "file") read += c.value("bytes", 0ull);
      if (c.value("syscall", "") == "io_uring:write" && c.value("to", "") == "tcp") write += c.value("bytes", 0ull);
    }
    const uint64_t size = run->value("bytes", 0ull);
    EXPECT_GT(size, 0u) << where;
    EXPECT_EQ(read, size) << where << " on " << kernel_release(*run) << ": " << (*run)["copies"].dump();
    EXPECT_EQ(write, size) << where << " on " << kernel_release(*run) << ": " << (*run)["copies"].dump();
  }
}
