// Chrome Trace Event JSON (opens in ui.perfetto.dev and chrome://tracing) with
// the whole Run in a top-level "copyscope" object, so replay reopens it exactly.
#pragma once

#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/analysis.h"
#include "model/run.h"

namespace copyscope {

// A trace file that cannot be replayed; what() is one line naming the file.
class TraceFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr int kTraceFormat = 1;
constexpr uint64_t kMaxTraceFileBytes = 2ull << 30;  // 2 GiB
// The columns of each row of copyscope.events, in order.
inline constexpr const char* kTraceEventFields[] = {"ts",  "dur", "arg0", "arg1", "ret", "tgid", "tid",
                                                    "sys", "cpu", "type", "role", "a",   "b"};
inline constexpr size_t kTraceEventFieldCount = std::size(kTraceEventFields);

class OutputFile;

// The whole trace as a document tree: for tests and small runs. The writers
// below stream the same text (what this gives, dumped) without building it.
nlohmann::json trace_to_json(const Run& run, const Summary& summary);
// Streams the trace to `path` through an OutputFile (temp name, renamed on
// success; nothing left behind on failure). Memory stays independent of the
// number of events beyond the run itself. Throws OutputError (a
// std::runtime_error) when the file cannot be written.
void write_trace(const Run& run, const Summary& summary, const std::string& path);
// The same into an open OutputFile, which the caller commits.
void write_trace(const Run& run, const Summary& summary, OutputFile& out);
// The same text handed to `sink` a block at a time.
void write_trace(const Run& run, const Summary& summary, const std::function<void(std::string_view)>& sink);

// Throws TraceFileError: missing, empty, not JSON, truncated, no "copyscope"
// object, another format version, out-of-range values, larger than 2 GiB.
// Streams the file (export/trace_load.cpp): no document tree is built, the
// rows of copyscope.events go straight into Run::events and "traceEvents" is
// only checked to be JSON.
Run load_trace(const std::string& path);
// The same from text in memory; TraceFileError without a file name.
Run trace_from_text(std::string_view text);
Run trace_from_json(const nlohmann::json& doc);  // throws TraceFileError without a file name

// The rules trace viewers rely on, checked over "traceEvents": known phases,
// pid/tid/ts on every event, dur >= 0, numeric counters, slices nested per
// thread. Returns one line per problem (empty when the trace is valid).
std::vector<std::string> check_trace_events(const nlohmann::json& doc);

}  // namespace copyscope
