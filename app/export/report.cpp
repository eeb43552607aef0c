#include "export/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "export/output_file.h"
#include "export/svg.h"
#include "model/diagram.h"
#include "model/format.h"
#include "model/palette.h"
#include "model/textbook.h"

namespace copyscope {

namespace {

// A trace decides how many hooks, stages, deviations and notes there are: a
// report shows a bounded number of each.
constexpr size_t kMaxRows = 200;

// ---- words ----------------------------------------------------------------

class Words {
 public:
  explicit Words(const std::string& lang) : lang_(lang_from(lang)) {}
  bool zh() const { return lang_ == Lang::Zh; }
  Lang lang() const { return lang_; }
  // A catalogue msgid (assets/i18n/zh.json) in the report's language.
  std::string operator()(const char* en) const { return tr(lang_, en); }

  // A canonical place of the textbook model (disk, page_cache, ...).
  std::string place(const std::string& p) const {
    static const std::map<std::string, const char*> kPlaces = {
        {"disk", N_("disk")},
        {"page_cache", N_("page cache")},
        {"user_buffer", N_("user buffer")},
        {"pipe", N_("pipe")},
        {"dest_pipe", N_("destination pipe")},
        {"socket_buffer", N_("socket buffer")},
        {"nic", N_("NIC")},
        {"dest_page_cache", N_("destination page cache")},
        {"dest_disk", N_("destination disk")},
        {"shared_page", N_("shared page")},
        {"child_page", N_("child's page")},
        {"null_device", "/dev/null"},
    };
    auto it = kPlaces.find(p);
    return it == kPlaces.end() ? spaced(p) : (*this)(it->second);
  }
  // A deviation's `what`.
  std::string quantity(const std::string& what) const {
    const char* name = quantity_name(what);
    return name == what.c_str() ? spaced(what) : (*this)(name);
  }
  std::string stage_kind(StageKind k) const {
    switch (k) {
      case StageKind::CpuCopy:
        return (*this)(N_("CPU copy"));
      case StageKind::Dma:
        return "DMA";
      case StageKind::PageRef:
        return (*this)(N_("page reference"));
      case StageKind::Handoff:
        return (*this)(N_("hand-off (no DMA)"));
    }
    return "";
  }
  std::string accounting(const std::string& a) const {
    return a == "measured" ? (*this)(N_("measured")) : a == "attributed" ? (*this)(N_("attributed"))
                                                     : a == "live"     ? (*this)(N_("live"))
                                                                       : a;
  }
  std::string sink(const std::string& s) const {
    return s == "tcp" ? (*this)(N_("tcp")) : s == "file" ? (*this)(N_("file")) : s == "pipe" ? (*this)(N_("pipe"))
                      : s == "null" ? "/dev/null" : s;
  }
  std::string cache(const std::string& c) const {
    return c == "cold" ? (*this)(N_("cold")) : c == "warm" ? (*this)(N_("warm")) : c;
  }

 private:
  static std::string spaced(std::string s) {
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
  }
  Lang lang_;
};

std::string opt(const std::optional<double>& v) { return v ? format_figure(*v) : "-"; }

std::string mark(double measured, const std::optional<double>& tb) {
  if (!tb) return "";
  return std::llround(measured) == std::llround(*tb) ? " =" : " *";
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_number()) return format_figure(v.get<double>());
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// ---- the document, in either format ---------------------------------------

struct Span {
  std::string text;
  bool bold = false;
};
using Para = std::vector<Span>;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  bool numbers = false;  // right-aligned columns after the first
};

// Text handed to a Format is raw (from a run, a trace or the textbook): the
// format bounds and escapes it.
class Format {
 public:
  virtual ~Format() = default;
  virtual void begin(const std::string& title) = 0;
  virtual void end() = 0;
  virtual void heading(int level, const std::string& text) = 0;
  virtual void para(const Para& p, bool note = false) = 0;
  virtual void list(const std::vector<std::string>& items, bool ordered) = 0;
  virtual void table(const Table& t) = 0;
  // `file`: where the Markdown report puts the picture (one of report_files()).
  // `small`: may stand beside the next one (the bar charts).
  virtual void figure(const std::string& svg_element, const std::string& file, const std::string& caption,
                      bool small = false) = 0;
  std::string text() const { return o_.str(); }

 protected:
  std::ostringstream o_;
};

class Html : public Format {
 public:
  explicit Html(bool zh) : zh_(zh) {}
  void begin(const std::string& title) override {
    o_ << "<!DOCTYPE html>\n<html lang=\"" << (zh_ ? "zh-CN" : "en") << "\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" << svg::xml_text(title)
       << "</title>\n<style>\nbody{font-family:" << svg::kFontFamily
       << ";max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}\n"
          "h1{font-size:1.9em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}"
          "h3{margin-top:1.6em}\n"
          "table{border-collapse:collapse;margin:1em 0;font-size:92%}td,th{border:1px solid #bbb;padding:4px 8px;"
          "text-align:left;vertical-align:top}th{background:#eee}table.num td{text-align:right}"
          "table.num td:first-child{text-align:left}td{white-space:nowrap}td:last-child{white-space:normal}\n"
          "figure{margin:1.2em 0}figure svg{max-width:100%;height:auto;border:1px solid #ddd;display:block}"
          "figcaption{color:#555;font-size:90%;margin-top:.3em}"
          "figure.small{display:inline-block;vertical-align:top;max-width:100%;margin-right:1.5em}"
          "figure.small figcaption{width:0;min-width:100%}\n"
          ".note{color:#555}summary{cursor:pointer}\n</style>\n</head>\n<body>\n";
  }
  void end() override { o_ << "</body>\n</html>\n"; }
  void heading(int level, const std::string& text) override {
    o_ << "<h" << level << ">" << svg::xml_text(text, svg::kMaxLabel * 2) << "</h" << level << ">\n";
  }
  void para(const Para& p, bool note) override {
    o_ << (note ? "<p class=\"note\">" : "<p>");
    for (const Span& s : p) o_ << (s.bold ? "<b>" : "") << svg::xml_text(s.text) << (s.bold ? "</b>" : "");
    o_ << "</p>\n";
  }
  void list(const std::vector<std::string>& items, bool ordered) override {
    o_ << (ordered ? "<ol>\n" : "<ul>\n");
    for (size_t i = 0; i < items.size() && i < kMaxRows; ++i) o_ << "<li>" << svg::xml_text(items[i]) << "</li>\n";
    o_ << (ordered ? "</ol>\n" : "</ul>\n");
  }
  void table(const Table& t) override {
    o_ << "<table" << (t.numbers ? " class=\"num\"" : "") << ">\n<tr>";
    for (const auto& h : t.header) o_ << "<th>" << svg::xml_text(h, svg::kMaxLabel) << "</th>";
    o_ << "</tr>\n";
    for (size_t r = 0; r < t.rows.size() && r < kMaxRows; ++r) {
      o_ << "<tr>";
      for (const auto& f : t.rows[r]) o_ << "<td>" << svg::xml_text(f) << "</td>";
      o_ << "</tr>\n";
    }
    o_ << "</table>\n";
  }
  void figure(const std::string& svg_element, const std::string&, const std::string& caption, bool small) override {
    o_ << (small ? "<figure class=\"small\">\n" : "<figure>\n") << svg_element << "<figcaption>"
       << svg::xml_text(caption) << "</figcaption>\n</figure>\n";
  }
  // A collapsed section (the probe list).
  void details(const std::string& summary, const Table& t) {
    o_ << "<details><summary>" << svg::xml_text(summary) << "</summary>\n";
    table(t);
    o_ << "</details>\n";
  }

 private:
  bool zh_;
};

// Markdown: every character that could start emphasis, a link, an autolink,
// an entity or raw HTML is escaped ("(" needs no escape once "[" has one), and
// web addresses are broken up, so a trace's text cannot link anything: the
// only links are to the pictures this report writes.
std::string md_escape(const std::string& raw, size_t max_chars = svg::kMaxSentence) {
  const std::string s = svg::bounded_utf8(raw, max_chars);
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '\n' || ch == '\r' || ch == '\t') {
      o += ' ';
      continue;
    }
    const bool url = (ch == ':' && s.compare(i + 1, 2, "//") == 0) ||
                     (ch == '.' && i >= 3 && (s.compare(i - 3, 3, "www") == 0 || s.compare(i - 3, 3, "WWW") == 0));
    if (url || std::string_view("\\`*_[]<>#|&~@").find(ch) != std::string_view::npos) o += '\\';
    o += ch;
  }
  return o;
}

// A file name beside the report as a link target: percent-encoded.
std::string md_link_target(const std::string& name) {
  static const char* kHex = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      o += static_cast<char>(c);
    } else {
      o += '%';
      o += kHex[c >> 4];
      o += kHex[c & 15];
    }
  }
  return o;
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class Markdown : public Format {
 public:
  struct Picture {
    std::string file, svg;
  };
  void begin(const std::string&) override {}
  void end() override {}
  void heading(int level, const std::string& text) override {
    o_ << std::string(static_cast<size_t>(level), '#') << " " << md_escape(text, svg::kMaxLabel * 2) << "\n\n";
  }
  void para(const Para& p, bool note) override {
    if (note) o_ << "_";
    for (const Span& s : p) o_ << (s.bold ? "**" : "") << md_escape(s.text) << (s.bold ? "**" : "");
    o_ << (note ? "_\n\n" : "\n\n");
  }
  void list(const std::vector<std::string>& items, bool ordered) override {
    for (size_t i = 0; i < items.size() && i < kMaxRows; ++i)
      o_ << (ordered ? std::to_string(i + 1) + ". " : "- ") << md_escape(items[i]) << "\n";
    o_ << "\n";
  }
  void table(const Table& t) override {
    o_ << "|";
    for (const auto& h : t.header) o_ << " " << md_escape(h, svg::kMaxLabel) << " |";
    o_ << "\n|";
    for (size_t i = 0; i < t.header.size(); ++i) o_ << (i && t.numbers ? "---:|" : "---|");
    o_ << "\n";
    for (size_t r = 0; r < t.rows.size() && r < kMaxRows; ++r) {
      o_ << "|";
      for (const auto& f : t.rows[r]) o_ << " " << md_escape(f) << " |";
      o_ << "\n";
    }
    o_ << "\n";
  }
  void figure(const std::string& svg_element, const std::string& file, const std::string& caption, bool) override {
    o_ << "![" << md_escape(caption) << "](" << md_link_target(base_name(file)) << ")\n\n"
       << "_" << md_escape(caption) << "_\n\n";
    pictures.push_back({file, svg::document(svg_element)});
  }
  std::vector<Picture> pictures;
};

// ---- names ------------------------------------------------------------------

bool is_html(const std::string& path) {
  auto ends = [&](const char* suffix) {
    const std::string s = suffix;
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".html") || ends(".htm");
}

std::string stem(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path;
  return path.substr(0, dot);
}

// A picture beside a Markdown report, named by what it shows and the run's position.
std::string picture_file(const std::string& report, const std::string& what, size_t run = 0) {
  return stem(report) + "-" + what + (run ? "-" + std::to_string(run) : "") + ".svg";
}

// ---- content ----------------------------------------------------------------

Table comparison(const std::vector<Summary>& ss, const Words& w) {
  Table t;
  t.numbers = true;
  t.header = {w("method"),
              w("sink"),
              w("cache"),
              w("bytes"),
              w("time"),
              w("throughput"),
              w("mode switches / unit (textbook)"),
              w("CPU copies / unit (textbook)"),
              w("DMA copies / unit (textbook)"),
              w("context switches"),
              w("page faults"),
              w("events dropped")};
  for (const Summary& s : ss)
    t.rows.push_back(
        {svg::bounded_utf8(s.params.method, svg::kMaxLabel) + (s.partial ? w(" (partial)") : ""),
         w.sink(s.params.sink), w.cache(s.params.cache), format_bytes(s.bytes),
         format_duration(static_cast<double>(s.duration_ns)), format_rate(s.throughput_mib_s * kMiB),
         format_figure(s.per_call.mode_switches) + " (" + opt(s.textbook.mode_switches) + ")" +
             mark(s.per_call.mode_switches, s.textbook.mode_switches),
         format_figure(s.per_call.cpu_copies) + " (" + opt(s.textbook.cpu_copies) + ")" +
             mark(s.per_call.cpu_copies, s.textbook.cpu_copies),
         format_figure(s.per_call.dma_copies) + " (" + opt(s.textbook.dma_copies) + ")" +
             mark(s.per_call.dma_copies, s.textbook.dma_copies),
         format_count(s.counters.context_switches), format_count(s.counters.page_faults),
         format_count(s.counters.events_dropped)});
  return t;
}

const TextbookMethod* textbook_of(const std::string& method) {
  try {
    return Textbook::builtin().find(method);
  } catch (const std::exception&) {
    return nullptr;  // no assets: the report goes without diagrams
  }
}

void compose(Format& f, Html* html, const std::vector<const Run*>& runs, const std::vector<Summary>& ss,
             const std::string& path, const Words& w, const std::string& lang) {
  const Summary& first = ss.front();
  f.begin(w("copyscope report"));
  f.heading(1, w("copyscope report"));

  bool one_sink = true;
  for (const Summary& s : ss) one_sink &= s.params.sink == first.params.sink;
  f.heading(2, w("Parameters"));
  f.table({{w("size"), w("buffer"), w("cache"), w("sink")},
           {{format_bytes(first.params.size), format_bytes(first.params.buffer), w.cache(first.params.cache),
             one_sink ? w.sink(first.params.sink) : w("per method (see the table)")}}});

  f.heading(2, w("Kernel and accounting"));
  const bool measured = first.kernel.copy_accounting == "measured";
  Para k = {{w("Kernel ")},
            {svg::bounded_utf8(first.kernel.release, svg::kMaxLabel), true},
            {w("; CPU copies are ")},
            {w.accounting(svg::bounded_utf8(first.kernel.copy_accounting, svg::kMaxLabel)), true},
            {measured ? w(" (the copy routines were hooked).")
                      : w(" from syscall results and fd kinds (the copy routines could not be hooked on this kernel).")}};
  if (!first.kernel.copy_accounting_why.empty()) k.push_back({" " + first.kernel.copy_accounting_why + "."});
  f.para(k);
  if (!first.kernel.hooks.empty()) {
    Table hooks;
    hooks.header = {w("hook"), w("status"), w("detail")};
    size_t attached = 0;
    for (const Hook& h : first.kernel.hooks) {
      attached += h.status == "attached";
      hooks.rows.push_back({h.name, h.status, h.detail});
    }
    const std::string what = trf(w.lang(), "%s of %s probes attached (the list)", attached,
                                 first.kernel.hooks.size());
    if (html) {
      html->details(what, hooks);
    } else {
      f.para({{what}});
      f.table(hooks);
    }
  }

  f.heading(2, w("Comparison"));
  f.table(comparison(ss, w));
  f.para({{w("= matches the textbook, * differs (explained below). A transfer unit is one chunk (one pass of the "
             "method's loop).")}},
         true);

  f.heading(2, w("Charts"));
  std::vector<std::string> groups;
  svg::BarSeries cpu{w("CPU copies / unit"), palette::kCpuCopy, {}, {}};
  svg::BarSeries dma{w("DMA copies / unit"), palette::kDma, {}, {}};
  svg::BarSeries mode{w("mode switches / unit"), palette::kModeSwitch, {}, {}};
  svg::BarSeries ctx{w("context switches / unit"), palette::kContextSwitch, {}, {}};
  for (const Summary& s : ss) {
    groups.push_back(s.params.method);
    cpu.values.push_back(s.per_call.cpu_copies);
    cpu.textbook.push_back(s.textbook.cpu_copies);
    dma.values.push_back(s.per_call.dma_copies);
    dma.textbook.push_back(s.textbook.dma_copies);
    mode.values.push_back(s.per_call.mode_switches);
    mode.textbook.push_back(s.textbook.mode_switches);
    ctx.values.push_back(s.per_call.context_switches);
    ctx.textbook.push_back(std::nullopt);
  }
  f.figure(svg::bar_chart(w("Copies per transfer unit"), groups, {cpu, dma}, lang),
           picture_file(path, "copies"),
           w("Copies per transfer unit, measured (bars) against the textbook (black marks)."),
           true);
  f.figure(svg::bar_chart(w("Switches per transfer unit"), groups, {mode, ctx}, lang),
           picture_file(path, "switches"),
           w("User/kernel mode switches and scheduler context switches per transfer unit."),
           true);

  f.heading(2, w("Each method: its data path, and where the measurement differs from the textbook"));
  for (size_t i = 0; i < ss.size(); ++i) {
    const Summary& s = ss[i];
    const Run& run = *runs[i];
    const TextbookMethod* tb = textbook_of(s.params.method);
    const std::string method = svg::bounded_utf8(s.params.method, svg::kMaxLabel);
    f.heading(3, tb ? method + " \u2014 " + tb->title.in(lang) : method);
    if (tb && !tb->summary.en.empty()) f.para({{tb->summary.in(lang)}});
    if (!s.row_title.en.empty())
      f.para({{w("Textbook row: ")}, {s.row_title.in(lang), true}, {w(".")}});
    const DiagramState d = build_diagram(run, s, place_stages(run, s.stages), tb, true);
    f.figure(svg::datapath(d, s, lang), picture_file(path, "datapath", i + 1),
             trf(w.lang(), "Data path of %s: each arrow carries the bytes this run moved along it.", method));
    if (d.row && !d.row->steps.empty()) {
      f.para({{w("Steps (textbook)"), true}});
      std::vector<std::string> steps;
      for (const DiagramStep& st : d.row->steps) steps.push_back(st.text.in(lang));
      f.list(steps, true);
    }
    if (!s.row_note.en.empty()) f.para({{s.row_note.in(lang)}}, true);
    if (!s.stages.empty()) {
      Table t;
      t.header = {w("stage"),          w("from"), w("to"), w("bytes"),
                  w("accounting"), w("why")};
      for (const Stage& st : s.stages)
        t.rows.push_back({w.stage_kind(st.kind), w.place(st.from), w.place(st.to), format_bytes(st.bytes),
                          w.accounting(st.accounting), st.rule.in(lang)});
      f.table(t);
    }
    if (!s.flows.empty()) {
      f.para({{w("Data flows of the traced program, by textbook method"), true}});
      Table t;
      t.header = {w("method"),   w("from"),   w("to"),
                  w("bytes"),  w("calls"), w("per unit: mode sw. / CPU / DMA"),
                  w("textbook"), w("why")};
      auto end = [](const FlowEndpoint& e) {
        return std::string(fd_kind_name(e.kind)) + " " + svg::bounded_utf8(e.name, svg::kMaxLabel * 2);
      };
      for (size_t k = 0; k < s.flows.size() && k < kMaxRows; ++k) {
        const DataFlow& fl = s.flows[k];
        t.rows.push_back({fl.method, end(fl.source), end(fl.destination), format_bytes(fl.bytes),
                          format_count(fl.calls),
                          format_figure(fl.mode_switches) + " / " + format_figure(fl.cpu_copies) + " / " +
                              format_figure(fl.dma_copies),
                          opt(fl.textbook.mode_switches) + " / " + opt(fl.textbook.cpu_copies) + " / " +
                              opt(fl.textbook.dma_copies),
                          fl.reason});
      }
      f.table(t);
    }
    f.para({{w("Measured against the textbook"), true}});
    if (s.deviations.empty()) f.para({{w("Matches the textbook.")}});
    for (size_t k = 0; k < s.deviations.size() && k < kMaxRows; ++k) {
      const Deviation& dv = s.deviations[k];
      Para p = {{w.quantity(dv.what), true},
                {w(": textbook ") + value_text(dv.textbook) + w(", measured ") +
                 value_text(dv.measured)}};
      if (!dv.attributed.is_null())
        p.push_back({w(", attribution would say ") + value_text(dv.attributed)});
      p.push_back({w(". ") + dv.why.in(lang)});
      f.para(p);
    }
    for (size_t k = 0; k < s.notes.size() && k < kMaxRows; ++k) f.para({{s.notes[k].in(lang)}}, true);
    if (tb && !tb->teaching_points.empty()) {
      f.para({{w("Teaching points"), true}});
      std::vector<std::string> points;
      for (const Text& t : tb->teaching_points) points.push_back(t.in(lang));
      f.list(points, false);
    }
    if (i < kMaxTimelineCharts)
      f.figure(svg::timeline(run, lang), picture_file(path, "timeline", i + 1),
               trf(w.lang(), "Timeline excerpt of %s: syscall spans per thread and disk requests in flight.", method));
  }
  f.end();
}

}  // namespace

bool is_report_lang(const std::string& lang) { return lang == "en" || lang == "zh"; }

void write_report(const std::vector<Run>& runs, const std::vector<Summary>& ss, const std::string& path,
                  const std::string& lang) {
  std::vector<const Run*> refs;
  for (const Run& r : runs) refs.push_back(&r);
  write_report(refs, ss, path, lang);
}

void write_report(const std::vector<const Run*>& runs, const std::vector<Summary>& ss, const std::string& path,
                  const std::string& lang) {
  if (ss.empty()) throw std::runtime_error("report " + path + ": no runs to report");
  if (runs.size() != ss.size()) throw std::runtime_error("report " + path + ": each run needs its summary");
  if (!is_report_lang(lang)) throw std::runtime_error("report " + path + ": language must be en or zh");
  const Words w(lang);
  const std::vector<std::string> names = report_files(path, runs.size());
  if (is_html(path)) {
    Html html(w.zh());
    compose(html, &html, runs, ss, path, w, lang);
    write_output(path, html.text(), "report");
    return;
  }
  Markdown md;
  compose(md, nullptr, runs, ss, path, w, lang);
  // report_files() is the truth the CLI checks paths against: the pictures
  // written must be exactly the ones it names.
  std::vector<std::string> written = {path};
  for (const auto& p : md.pictures) written.push_back(p.file);
  if (written != names) throw std::logic_error("report " + path + ": pictures differ from report_files()");
  // Every file is written under a temp name first and renamed only once all
  // of them are complete: a failure leaves none of them, a planted symlink at
  // any of their names is replaced, never followed.
  std::vector<std::unique_ptr<OutputFile>> files;
  for (const auto& p : md.pictures) {
    files.push_back(std::make_unique<OutputFile>(p.file, "report picture"));
    files.back()->write(p.svg);
  }
  OutputFile report(path, "report");
  report.write(md.text());
  for (auto& f : files) f->commit();
  report.commit();
}

std::vector<std::string> report_files(const std::string& path, size_t runs) {
  std::vector<std::string> names = {path};
  if (is_html(path)) return names;
  names.push_back(picture_file(path, "copies"));
  names.push_back(picture_file(path, "switches"));
  for (size_t i = 0; i < runs; ++i) {
    names.push_back(picture_file(path, "datapath", i + 1));
    if (i < kMaxTimelineCharts) names.push_back(picture_file(path, "timeline", i + 1));
  }
  return names;
}

}  // namespace copyscope
