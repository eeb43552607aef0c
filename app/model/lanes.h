// Places spans on lanes so that no two on one lane partially overlap: lane 0
// first, a span that starts before a lane is free goes to the next one. The
// trace export and the report place disk requests (and overlapping syscalls)
// with this one allocator.
#pragma once

#include <cstdint>
#include <vector>

namespace copyscope {

class LaneAllocator {
 public:
  size_t place(uint64_t start, uint64_t end) {
    for (size_t i = 0; i < ends_.size(); ++i)
      if (start >= ends_[i]) {
        ends_[i] = end;
        return i;
      }
    ends_.push_back(end);
    return ends_.size() - 1;
  }
  size_t count() const { return ends_.size(); }

 private:
  std::vector<uint64_t> ends_;
};

}  // namespace copyscope
