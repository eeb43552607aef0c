// copyscope trace of real servers (issue 27, slow tier): nginx with sendfile
// on and off, lighttpd, and Python's http.server, each serving a 64 MiB file
// to curl over loopback from a temp prefix on a free port. Each server is
// started under the trace and stopped by it (Ctrl-C) in the test.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

using nlohmann::json;

namespace {

constexpr size_t kFileBytes = 64u << 20;

struct TempDir {
  std::string path;
  TempDir() {
    char templ[] = "/tmp/cs-servers.XXXXXX";
    if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp");
    path = templ;
  }
  ~TempDir() { run_shell("rm -rf -- '" + path + "'"); }
};

// A loopback port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (s >= 0) close(s);
    return -1;
  }
  close(s);
  return ntohs(a.sin_port);
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Traces `server` (argv) while curl fetches the file once, then stops the
// trace with SIGINT (as Ctrl-C) and returns its JSON.
json trace_server(const TempDir& dir, const std::vector<std::string>& server, int port, const std::string& cwd = {}) {
  const std::string out = dir.path + "/trace.json", err = dir.path + "/trace.err";
  const pid_t cs = fork();
  if (cs == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<std::string> args = {COPYSCOPE_BIN, "trace", "--json", "--"};
    args.insert(args.end(), server.begin(), server.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/big";
  std::string got;
  for (int i = 0; i < 150; ++i) {  // the server starts once the probes are attached
    got = run_shell("curl -s -o /dev/null -w '%{http_code} %{size_download}' " + url + " 2>/dev/null").out;
    if (got.rfind("200 ", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got, "200 " + std::to_string(kFileBytes));
  kill(cs, SIGINT);
  int status = 0;
  for (int i = 0; i < 200 && waitpid(cs, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (waitpid(cs, &status, WNOHANG) == 0) {
    kill(cs, SIGKILL);
    waitpid(cs, &status, 0);
    ADD_FAILURE() << "copyscope trace did not stop on SIGINT";
  }
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(run_shell("curl -s -o /dev/null " + url).exit_code == 0, false) << "the server was stopped";
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text.str().substr(0, 300) << run_shell("cat " + err).out;
  return j;
}

// The flow that carried the file to the socket.
const json* file_to_socket(const json& j) {
  if (j.is_discarded() || !j.contains("flows")) return nullptr;
  for (const json& f : j["flows"]) {
    const std::string src = f["source"]["name"];
    if (f["destination"]["kind"] == "tcp" && src.size() >= 4 && src.compare(src.size() - 4, 4, "/big") == 0) return &f;
  }
  return nullptr;
}

bool have(const std::string& prog) { return run_shell("command -v " + prog + " >/dev/null 2>&1").exit_code == 0; }

void make_site(const TempDir& dir) {
  run_shell("mkdir -p '" + dir.path + "/www' '" + dir.path + "/logs' '" + dir.path + "/tmp' && head -c " +
            std::to_string(kFileBytes) + " /dev/urandom > '" + dir.path + "/www/big'");
}

std::string nginx_conf(const TempDir& dir, int port, bool sendfile) {
  const std::string d = dir.path;
  return "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d +
         "/logs/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n  client_body_temp_path " +
         d + "/tmp;\n  proxy_temp_path " + d + "/tmp;\n  fastcgi_temp_path " + d + "/tmp;\n  uwsgi_temp_path " + d +
         "/tmp;\n  scgi_temp_path " + d + "/tmp;\n  sendfile " + (sendfile ? "on" : "off") +
         ";\n  server { listen 127.0.0.1:" + std::to_string(port) + "; root " + d + "/www; }\n}\n";
}

}  // namespace

class TraceNginx : public ::testing::TestWithParam<bool> {};

TEST_P(TraceNginx, ServesTheFileByTheConfiguredMethod) {
  REQUIRE_LIVE_CAPTURE();
  if (!have("nginx") && access("/usr/sbin/nginx", X_OK) != 0)
    GTEST_SKIP() << "nginx is not installed (apt-get install nginx-light)";
  const bool sendfile = GetParam();
  TempDir dir;
  make_site(dir);
  const int port = free_port();
  ASSERT_GT(port, 0);
  write_file(dir.path + "/nginx.conf", nginx_conf(dir, port, sendfile));
  const json j = trace_server(dir, {"/usr/sbin/nginx", "-p", dir.path, "-c", dir.path + "/nginx.conf"}, port);
  const json* f = file_to_socket(j);
  ASSERT_TRUE(f) << (j.contains("flows") ? j["flows"].dump(1).substr(0, 2000) : j.dump().substr(0, 500));
  EXPECT_EQ((*f)["method"], sendfile ? "sendfile" : "read_write") << f->dump(1);
  EXPECT_EQ((*f)["bytes"].get<uint64_t>(), kFileBytes) << f->dump(1);
  EXPECT_EQ((*f)["per_call"]["cpu_copies"].get<double>(), sendfile ? 0.0 : 2.0);
}

INSTANTIATE_TEST_SUITE_P(Sendfile, TraceNginx, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? std::string("on") : std::string("off"); });

TEST(TraceServers, LighttpdSendsFilesWithSendfile) {
  REQUIRE_LIVE_CAPTURE();
  if (access("/usr/sbin/lighttpd", X_OK) != 0) GTEST_SKIP() << "lighttpd is not installed (apt-get install lighttpd)";
  TempDir dir;
  make_site(dir);
  const int port = free_port();
  ASSERT_GT(port, 0);
  write_file(dir.path + "/lighttpd.conf", "server.document-root = \"" + dir.path + "/www\"\nserver.bind = \"127.0.0.1\"\n"
                                          "server.port = " + std::to_string(port) + "\nserver.errorlog = \"" +
                                          dir.path + "/logs/lighttpd.log\"\n");
  const json j = trace_server(dir, {"/usr/sbin/lighttpd", "-D", "-f", dir.path + "/lighttpd.conf"}, port);
  const json* f = file_to_socket(j);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)["method"], "sendfile") << f->dump(1);
  EXPECT_EQ((*f)["bytes"].get<uint64_t>(), kFileBytes);
}

// Python 3.11's http.server copies files with shutil.copyfileobj into the
// socket's buffered writer: read + send, not sendfile (measured, 2026-12-04).
TEST(TraceServers, PythonHttpServerReadsAndWrites) {
  REQUIRE_LIVE_CAPTURE();
  if (!have("python3")) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  make_site(dir);
  const int port = free_port();
  ASSERT_GT(port, 0);
  const std::string python = run_shell("command -v python3").out;
  const json j = trace_server(dir, {python.substr(0, python.find('\n')), "-m", "http.server", "--bind", "127.0.0.1",
                                    std::to_string(port)},
                              port, dir.path + "/www");
  const json* f = file_to_socket(j);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)["method"], "read_write") << f->dump(1);
  EXPECT_EQ((*f)["bytes"].get<uint64_t>(), kFileBytes);
}
