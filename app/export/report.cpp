#include "export/report.h"

#include <stdexcept>

namespace copyscope {

void write_report(const std::vector<Run>&, const std::vector<Summary>&, const std::string& path) {
  throw std::runtime_error("report " + path + ": not implemented yet");
}

}  // namespace copyscope
