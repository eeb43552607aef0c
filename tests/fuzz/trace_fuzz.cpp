// libFuzzer harness for the trace loader: any bytes either load or raise
// TraceFileError. Anything else (a crash, a sanitizer report, another
// exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "export/trace.h"
#include "model/analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  try {
    copyscope::Run run = copyscope::trace_from_json(doc);
    // Whatever loads must also summarise without surprises.
    (void)copyscope::summarize(run, nullptr);
    (void)copyscope::check_trace_events(doc);
  } catch (const copyscope::TraceFileError&) {
  }
  return 0;
}
