// libFuzzer harness for the size parser: never crashes, and what it accepts
// survives a round trip through format_size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/size.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string err;
  auto v = copyscope::parse_size(text, &err);
  if (!v) {
    if (err.empty() || err.find('\n') != std::string::npos) std::abort();
    return 0;
  }
  auto again = copyscope::parse_size(copyscope::format_size(*v), nullptr);
  if (!again || *again != *v) std::abort();
  return 0;
}
