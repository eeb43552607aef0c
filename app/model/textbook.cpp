#include "model/textbook.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#ifndef COPYSCOPE_SOURCE_ASSETS
#define COPYSCOPE_SOURCE_ASSETS ""
#endif

namespace copyscope {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Text text_of(const json& j) {
  Text t;
  if (j.is_object()) {
    t.en = j.value("en", "");
    t.zh = j.value("zh", "");
  }
  return t;
}

std::optional<double> number_or_null(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

Textbook Textbook::parse(const std::string& json_text) {
  json doc = json::parse(json_text);
  Textbook tb;
  for (const json& m : doc.at("methods")) {
    TextbookMethod tm;
    tm.name = m.at("name").get<std::string>();
    tm.source = m.value("source", "articles");
    tm.title = text_of(m.value("title", json::object()));
    tm.summary = text_of(m.value("summary", json::object()));
    tm.sinks = m.value("sinks", std::vector<std::string>{});
    tm.calls = m.value("calls", std::vector<std::string>{});
    const json expect = m.value("expect", json::object());
    tm.expect.mode_switches = number_or_null(expect, "mode_switches");
    tm.expect.cpu_copies = number_or_null(expect, "cpu_copies");
    tm.expect.dma_copies = number_or_null(expect, "dma_copies");
    for (const json& b : m.value("boxes", json::array()))
      tm.boxes.push_back({b.at("id").get<std::string>(), b.value("band", "kernel"),
                          text_of(b.value("label", json::object()))});
    for (const json& a : m.value("arrows", json::array()))
      tm.arrows.push_back({a.at("from").get<std::string>(), a.at("to").get<std::string>(),
                           a.value("kind", "cpu"), a.value("step", 0),
                           text_of(a.value("label", json::object()))});
    for (const json& s : m.value("steps", json::array())) {
      DiagramStep step;
      step.n = s.value("n", 0);
      step.text = text_of(s);
      const json trig = s.value("trigger", json::object());
      step.trigger.event = trig.value("event", "");
      step.trigger.sys = trig.value("sys", "");
      tm.steps.push_back(step);
    }
    for (const json& p : m.value("teaching_points", json::array())) tm.teaching_points.push_back(text_of(p));
    tb.methods_.push_back(std::move(tm));
  }
  return tb;
}

Textbook Textbook::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open textbook model " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return parse(ss.str());
  } catch (const std::exception& e) {
    throw std::runtime_error("bad textbook model " + path + ": " + e.what());
  }
}

std::string assets_dir() {
  if (const char* env = std::getenv("COPYSCOPE_ASSETS"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir : {exe.parent_path() / "assets", exe.parent_path() / ".." / "share" / "copyscope" / "assets",
                         exe.parent_path() / ".." / "assets"}) {
      if (fs::exists(dir / "textbook.json", ec)) return fs::weakly_canonical(dir, ec).string();
    }
  }
  return COPYSCOPE_SOURCE_ASSETS;
}

const Textbook& Textbook::builtin() {
  static const Textbook tb = load(assets_dir() + "/textbook.json");
  return tb;
}

const TextbookMethod* Textbook::find(const std::string& name) const {
  for (const auto& m : methods_)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace copyscope
