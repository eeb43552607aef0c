// libFuzzer harness for the trace loader: any bytes either load or raise
// TraceFileError. Anything else (a crash, a sanitizer report, another
// exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "export/trace.h"
#include "model/analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The streaming reader load_trace uses, over the raw bytes.
  try {
    copyscope::Run run = copyscope::trace_from_text(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)copyscope::summarize(run, nullptr);
  } catch (const copyscope::TraceFileError&) {
  }
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
