// The runs recorded in assets/recordings/, which unit tests check the model against.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

inline std::vector<std::string> recordings() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(COPYSCOPE_SOURCE_ASSETS) + "/recordings"))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}
