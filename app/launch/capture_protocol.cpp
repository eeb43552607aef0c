#include "launch/capture_protocol.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace copyscope::capture {

namespace {

bool write_all(int fd, const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// 0 at a clean end of stream before any byte, else all n bytes; throws on a short read.
size_t read_all(int fd, void* data, size_t n) {
  auto* p = static_cast<char*>(data);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::runtime_error(std::string("reading from copyscope-capture: ") + std::strerror(errno));
    if (r == 0) {
      if (got == 0) return 0;
      throw std::runtime_error("copyscope-capture stopped in the middle of a message");
    }
    got += static_cast<size_t>(r);
  }
  return got;
}

}  // namespace

bool send_message(int fd, MessageType type, const void* data, size_t length) {
  if (length > kMaxPayload) return false;
  const Header h{static_cast<uint32_t>(type), static_cast<uint32_t>(length)};
  return write_all(fd, &h, sizeof h) && write_all(fd, data, length);
}

bool send_json(int fd, MessageType type, const nlohmann::json& j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return send_message(fd, type, text.data(), text.size());
}

bool read_message(int fd, MessageType* type, std::string* payload) {
  Header h{};
  if (read_all(fd, &h, sizeof h) == 0) return false;
  if (h.type < static_cast<uint32_t>(MessageType::Progress) || h.type > static_cast<uint32_t>(MessageType::Error))
    throw std::runtime_error("copyscope-capture sent a message of unknown type " + std::to_string(h.type));
  if (h.length > kMaxPayload)
    throw std::runtime_error("copyscope-capture sent a message of " + std::to_string(h.length) + " bytes");
  *type = static_cast<MessageType>(h.type);
  payload->resize(h.length);
  if (h.length && read_all(fd, payload->data(), h.length) == 0)
    throw std::runtime_error("copyscope-capture stopped in the middle of a message");
  return true;
}

nlohmann::json progress_to_json(const RunProgress& p) {
  return {{"phase", static_cast<int>(p.phase)}, {"done", p.done}, {"total", p.total}, {"elapsed_ms", p.elapsed_ms}};
}

RunProgress progress_from_json(const nlohmann::json& j) {
  RunProgress p;
  const int phase = j.value("phase", 0);
  if (phase >= 0 && phase <= static_cast<int>(RunProgress::Phase::Collect)) p.phase = static_cast<RunProgress::Phase>(phase);
  p.done = j.value("done", uint64_t{0});
  p.total = j.value("total", uint64_t{0});
  p.elapsed_ms = j.value("elapsed_ms", uint64_t{0});
  return p;
}

}  // namespace copyscope::capture
