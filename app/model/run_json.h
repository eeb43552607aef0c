// A Run as JSON and back: everything but the events (the trace file carries
// those compactly, see export/trace.h). Names, not enum values, so a file
// written before a syscall or fd kind was added still loads.
#pragma once

#include <nlohmann/json.hpp>

#include "model/run.h"

namespace copyscope {

nlohmann::json run_to_json(const Run& run);
nlohmann::json dma_mappings_to_json(const std::vector<DmaMapping>& mappings);

// Throws std::runtime_error naming the field and the problem (unknown role,
// unknown syscall, negative or non-integer counter, ...).
Run run_from_json(const nlohmann::json& j);

// Name <-> value for the enums a file refers to; -1 when unknown.
int fd_kind_from_name(const std::string& name);
int role_from_name(const std::string& name);
const char* role_name(unsigned role);

}  // namespace copyscope
