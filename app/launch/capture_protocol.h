// What copyscope-capture (the privileged helper) and copyscope say to each
// other over a socketpair: framed messages, each a header and a payload.
//
//   PROGRESS  JSON {"phase", "done", "total", "elapsed_ms"} (RunProgress)
//   EVENTS    raw struct cs_event records, as the kernel wrote them
//   RESULT    JSON run_to_json(run): the run without its events, which came as EVENTS
//   ERROR     JSON {"code", "message", "partial": run_to_json or null}
//
// The helper sends RESULT or ERROR last, then exits. Neither side trusts a
// length beyond kMaxPayload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "launch/runner.h"

namespace copyscope::capture {

enum class MessageType : uint32_t { Progress = 1, Events = 2, Result = 3, Error = 4 };

struct Header {
  uint32_t type;
  uint32_t length;  // payload bytes
};

inline constexpr size_t kMaxPayload = size_t{16} << 20;
inline constexpr size_t kEventsPerMessage = 16384;  // 896 KiB

// The fds the helper finds its socket and the caller's workspace on.
inline constexpr int kSocketFd = 3;
inline constexpr int kWorkspaceFd = 4;

// Writes one message (all of it, retrying on EINTR). False when the peer is gone.
bool send_message(int fd, MessageType type, const void* data, size_t length);
bool send_json(int fd, MessageType type, const nlohmann::json& j);

// Reads one message into `payload`. False at end of stream; throws
// std::runtime_error on a malformed header or a read error.
bool read_message(int fd, MessageType* type, std::string* payload);

nlohmann::json progress_to_json(const RunProgress& p);
RunProgress progress_from_json(const nlohmann::json& j);

}  // namespace copyscope::capture
