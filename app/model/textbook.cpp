#include "model/textbook.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "methods.h"

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

Expectation expectation_of(const json& expect) {
  Expectation e;
  e.mode_switches = number_or_null(expect, "mode_switches");
  e.cpu_copies = number_or_null(expect, "cpu_copies");
  e.dma_copies = number_or_null(expect, "dma_copies");
  return e;
}

std::vector<DiagramArrow> arrows_of(const json& list) {
  std::vector<DiagramArrow> out;
  for (const json& a : list)
    out.push_back({a.at("from").get<std::string>(), a.at("to").get<std::string>(), a.value("kind", "cpu"),
                   a.value("step", 0), text_of(a.value("label", json::object()))});
  return out;
}

std::vector<DiagramStep> steps_of(const json& list) {
  std::vector<DiagramStep> out;
  for (const json& s : list) {
    DiagramStep step;
    step.n = s.value("n", 0);
    step.text = text_of(s);
    const json trig = s.value("trigger", json::object());
    step.trigger.event = trig.value("event", "");
    step.trigger.sys = trig.value("sys", "");
    out.push_back(step);
  }
  return out;
}

}  // namespace

const TextbookRow& TextbookMethod::row_for(const RowFacts& f) const {
  for (size_t i = 1; i < rows.size(); ++i)
    if (rows[i].holds(f)) return rows[i];
  return rows.front();
}

const TextbookRow* TextbookMethod::find_row(const std::string& id) const {
  for (const auto& r : rows)
    if (r.id == id) return &r;
  return nullptr;
}

const DiagramBox* TextbookMethod::find_box(const std::string& id) const {
  for (const auto& b : boxes)
    if (b.id == id) return &b;
  return nullptr;
}

namespace {

TextbookMethod method_of(const json& m) {
  TextbookMethod tm;
  tm.name = m.at("name").get<std::string>();
  tm.source = m.value("source", "articles");
  tm.title = text_of(m.value("title", json::object()));
  tm.summary = text_of(m.value("summary", json::object()));
  tm.calls = m.value("calls", std::vector<std::string>{});
  tm.expect = expectation_of(m.value("expect", json::object()));
  for (const json& b : m.value("boxes", json::array()))
    tm.boxes.push_back({b.at("id").get<std::string>(), b.value("band", "kernel"),
                        text_of(b.value("label", json::object())), b.value("is", "")});
  tm.arrows = arrows_of(m.value("arrows", json::array()));
  tm.steps = steps_of(m.value("steps", json::array()));
  TextbookRow own;
  const json row = m.value("row", json::object());
  own.id = row.value("id", "textbook");
  own.title = text_of(row.value("title", json::object()));
  own.expect = tm.expect;
  own.arrows = tm.arrows;
  own.steps = tm.steps;
  tm.rows.push_back(std::move(own));
  for (const json& v : m.value("variants", json::array())) {
    TextbookRow r;
    r.id = v.at("id").get<std::string>();
    r.title = text_of(v.value("title", json::object()));
    r.note = text_of(v.value("note", json::object()));
    r.expect = expectation_of(v.value("expect", json::object()));
    r.arrows = v.contains("arrows") ? arrows_of(v["arrows"]) : tm.arrows;
    r.steps = v.contains("steps") ? steps_of(v["steps"]) : tm.steps;
    const json when = v.value("when", json::object());
    if (when.contains("sink")) r.when_sink = when["sink"].get<std::string>();
    if (when.contains("nic_sg")) r.when_nic_sg = when["nic_sg"].get<bool>();
    if (when.contains("reflink")) r.when_reflink = when["reflink"].get<bool>();
    tm.rows.push_back(std::move(r));
  }
  for (const json& p : m.value("teaching_points", json::array())) tm.teaching_points.push_back(text_of(p));
  return tm;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open textbook model " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The method table's order: the order the CLI lists and the GUI offers.
size_t table_rank(const std::string& name) {
  size_t i = 0;
  for (const auto& m : scenario::kMethods) {
    if (m.name == name) return i;
    ++i;
  }
  return i;
}

}  // namespace

TextbookMethod Textbook::parse_method(const std::string& json_text) { return method_of(json::parse(json_text)); }

Textbook Textbook::parse(const std::string& json_text) {
  const json doc = json::parse(json_text);
  Textbook tb;
  for (const json& m : doc.at("methods")) tb.methods_.push_back(method_of(m));
  return tb;
}

Textbook Textbook::load(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    try {
      return parse(slurp(path));
    } catch (const std::exception& e) {
      throw std::runtime_error("bad textbook model " + path + ": " + e.what());
    }
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".json") files.push_back(e.path());
  if (ec) throw std::runtime_error("cannot read textbook model " + path + ": " + ec.message());
  if (files.empty()) throw std::runtime_error("no method files (*.json) in " + path);
  Textbook tb;
  for (const fs::path& f : files) {
    try {
      TextbookMethod m = method_of(json::parse(slurp(f)));
      if (m.name != f.stem().string()) throw std::runtime_error("names method '" + m.name + "'");
      tb.methods_.push_back(std::move(m));
    } catch (const std::exception& e) {
      throw std::runtime_error("bad textbook model " + f.string() + ": " + e.what());
    }
  }
  std::sort(tb.methods_.begin(), tb.methods_.end(), [](const TextbookMethod& a, const TextbookMethod& b) {
    const size_t ra = table_rank(a.name), rb = table_rank(b.name);
    return ra != rb ? ra < rb : a.name < b.name;
  });
  return tb;
}

std::string assets_dir() {
  if (const char* env = std::getenv("COPYSCOPE_ASSETS"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir : {exe.parent_path() / "assets", exe.parent_path() / ".." / "share" / "copyscope" / "assets",
                         exe.parent_path() / ".." / "assets"}) {
      if (fs::is_directory(dir / "methods", ec)) return fs::weakly_canonical(dir, ec).string();
    }
  }
  return COPYSCOPE_SOURCE_ASSETS;
}

const Textbook& Textbook::builtin() {
  static const Textbook tb = load(assets_dir() + "/methods");
  return tb;
}

const TextbookMethod* Textbook::find(const std::string& name) const {
  for (const auto& m : methods_)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace copyscope
