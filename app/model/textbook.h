// The textbook model (assets/methods/<method>.json, one file per method): what
// the articles say each method costs, and the diagram the GUI draws. Data,
// loaded once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/i18n.h"

namespace copyscope {


struct DiagramBox {
  std::string id;
  std::string band;  // user | kernel | hardware
  Text label;
  std::string is;  // the canonical place it stands for (user_buffer, page_cache, ...); the id when empty
  const std::string& place() const { return is.empty() ? id : is; }
};

struct DiagramArrow {
  std::string from, to;
  std::string kind;  // dma | cpu | share | descriptor | handoff | signal
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

// What the run's device and sink are, for picking a textbook row.
struct RowFacts {
  std::string sink;     // tcp | file | pipe | null
  bool nic_sg = false;  // the sending network device does scatter-gather (loopback does)
  bool reflink = false;  // the files' filesystem shares extents (XFS with reflink, Btrfs)
};

// One textbook row of a method: what it costs and the diagram that shows it.
// A method has its own row and may have variants (sendfile: 1 CPU copy, or
// the scatter-gather row with none), picked by what the device supports.
struct TextbookRow {
  std::string id;
  Text title, note;
  Expectation expect;
  std::vector<DiagramArrow> arrows;
  std::vector<DiagramStep> steps;
  std::optional<std::string> when_sink;
  std::optional<bool> when_nic_sg;
  std::optional<bool> when_reflink;
  bool holds(const RowFacts& f) const {
    return (!when_sink || *when_sink == f.sink) && (!when_nic_sg || *when_nic_sg == f.nic_sg) &&
           (!when_reflink || *when_reflink == f.reflink);
  }
};

struct TextbookMethod {
  std::string name;
  std::string source;  // articles | kernel-docs
  Text title, summary;
  std::vector<std::string> calls;
  Expectation expect;  // rows[0]'s, as are arrows and steps
  std::vector<DiagramBox> boxes;
  std::vector<DiagramArrow> arrows;
  std::vector<DiagramStep> steps;
  std::vector<Text> teaching_points;
  std::vector<TextbookRow> rows;  // [0] the method's own row, then its variants

  // The first variant whose conditions hold, else the method's own row.
  const TextbookRow& row_for(const RowFacts& f) const;
  const TextbookRow* find_row(const std::string& id) const;
  const DiagramBox* find_box(const std::string& id) const;
};

class Textbook {
 public:
  // A directory of method files (each one method's object), or one file
  // holding {"methods": [...]}. Methods come in the method table's order
  // (scenarios/methods.def), then any others by name. Throws
  // std::runtime_error naming the file and the problem.
  static Textbook load(const std::string& path);
  static Textbook parse(const std::string& json_text);
  static TextbookMethod parse_method(const std::string& json_text);
  // assets/methods/ found next to the binary, in the source tree, or $COPYSCOPE_ASSETS.
  static const Textbook& builtin();

  const TextbookMethod* find(const std::string& name) const;
  const std::vector<TextbookMethod>& methods() const { return methods_; }

 private:
  std::vector<TextbookMethod> methods_;
};

// Directory holding methods/ (the textbook model) and recordings/.
std::string assets_dir();

}  // namespace copyscope
