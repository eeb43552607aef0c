// The textbook model (assets/textbook.json): what the articles say each method
// costs, and the diagram the GUI draws. Data, loaded once.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace copyscope {

struct Text {
  std::string en, zh;
  const std::string& in(const std::string& lang) const { return lang == "zh" && !zh.empty() ? zh : en; }
};

struct DiagramBox {
  std::string id;
  std::string band;  // user | kernel | hardware
  Text label;
};

struct DiagramArrow {
  std::string from, to;
  std::string kind;  // dma | cpu | share | descriptor | handoff
  int step = 0;
  Text label;
};

struct StepTrigger {
  std::string event;  // syscall | block | page_cache_add | fault | net_xmit | phase_end | fork | switch
  std::string sys;    // for event == syscall
};

struct DiagramStep {
  int n = 0;
  Text text;
  StepTrigger trigger;
};

struct Expectation {
  std::optional<double> mode_switches, cpu_copies, dma_copies;
};

struct TextbookMethod {
  std::string name;
  std::string source;  // articles | kernel-docs
  Text title, summary;
  std::vector<std::string> sinks;
  std::vector<std::string> calls;
  Expectation expect;
  std::vector<DiagramBox> boxes;
  std::vector<DiagramArrow> arrows;
  std::vector<DiagramStep> steps;
  std::vector<Text> teaching_points;
};

class Textbook {
 public:
  // Throws std::runtime_error with the file and the problem.
  static Textbook load(const std::string& path);
  static Textbook parse(const std::string& json_text);
  // assets/textbook.json found next to the binary, in the source tree, or $COPYSCOPE_ASSETS.
  static const Textbook& builtin();

  const TextbookMethod* find(const std::string& name) const;
  const std::vector<TextbookMethod>& methods() const { return methods_; }

 private:
  std::vector<TextbookMethod> methods_;
};

// Directory holding textbook.json and recordings.
std::string assets_dir();

}  // namespace copyscope
