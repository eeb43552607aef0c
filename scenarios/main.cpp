// copyscope-scenario METHOD --file F --size N --buffer N --sink KIND --workdir D --result-fd N
// Started by copyscope's runner, never by hand: it prints one JSON object on the
// result fd and exits 0, or exits 1 with {"error": ...}.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "scenario.h"

namespace scenario {

const MethodEntry* find_method(const std::string& name) {
  static const MethodEntry methods[] = {
#define COPYSCOPE_METHOD(name, sinks, needs) {#name, run_##name},
#include "methods.def"
#undef COPYSCOPE_METHOD
      {"bench_pipeline", run_bench_pipeline},  // internal: copyscope bench pipeline
  };

  for (const auto& m : methods)
    if (name == m.name) return &m;
  return nullptr;
}

}  // namespace scenario

namespace {

void emit(int fd, const nlohmann::json& j) {
  std::string s = j.dump();
  (void)!write(fd, s.data(), s.size());
}

}  // namespace

int main(int argc, char** argv) {
  scenario::Options opt;
  int result_fd = 1;
  if (argc < 2) {
    std::fprintf(stderr, "copyscope-scenario: started by copyscope run, not by hand\n");
    return 2;
  }
  opt.method = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--file")
      opt.file = v;
    else if (k == "--workdir")
      opt.workdir = v;
    else if (k == "--size")
      opt.size = std::stoull(v);
    else if (k == "--buffer")
      opt.buffer = std::stoull(v);
    else if (k == "--sink")
      opt.sink = v;
    else if (k == "--result-fd")
      result_fd = std::stoi(v);
  }
  signal(SIGPIPE, SIG_IGN);
  const scenario::MethodEntry* m = scenario::find_method(opt.method);
  if (!m) {
    emit(result_fd, {{"error", "unknown method " + opt.method}});
    return 1;
  }
  try {
    scenario::Sink sink = scenario::open_sink(opt.sink, opt.workdir);
    scenario::Outcome out = m->run(opt, sink);
    nlohmann::json report = scenario::close_sink(sink);
    emit(result_fd, {{"bytes", out.bytes},
                     {"units", out.units},
                     {"duration_ns", scenario::g_phase.end_ns - scenario::g_phase.begin_ns},
                     {"sink", report},
                     {"extra", out.extra}});
    return 0;
  } catch (const std::exception& e) {
    emit(result_fd, {{"error", e.what()}});
    return 1;
  }
}
