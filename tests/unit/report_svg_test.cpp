// The report as one self-contained HTML file with inline SVG, in English and
// Chinese; the Markdown report's SVG pictures; the data-path diagram alone
// (replay --svg); text from hostile traces escaped and bounded. No BPF, no
// display: the recordings in assets/recordings and synthetic runs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "export/report.h"
#include "export/svg.h"
#include "export/trace.h"
#include "model/diagram.h"
#include "model/textbook.h"

using namespace copyscope;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/copyscope-report-svg-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::set<std::string> files() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.insert(e.path().filename().string());
    return names;
  }
};

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80                 ? 0
                  : c >= 0xC2 && c <= 0xDF ? 1
                  : c >= 0xE0 && c <= 0xEF ? 2
                  : c >= 0xF0 && c <= 0xF4 ? 3
                                           : -1;
    if (n < 0 || s.size() - i <= static_cast<size_t>(n)) return false;
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0xC0) != 0x80) return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

bool has_cjk(const std::string& s) {
  // U+4E00..U+9FFF in UTF-8: E4 B8 80 .. E9 BF BF.
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xE4 && c <= 0xE9 && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) return true;
  }
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Tag {
  std::string name;  // lower case; "/name" for a closing tag
  std::string attrs;
  bool self_closing = false;
};

// A loose reading of an HTML or SVG document: its tags, its text, and what
// makes it not self-contained or not well-formed. Enough to fail on an
// <img src>, a <link>, a <script>, an unbalanced element or a stray "<" or "&"
// of a trace's text that escaped escaping.
std::vector<std::string> self_contained_problems(const std::string& doc, bool html) {
  std::vector<std::string> problems;
  if (!valid_utf8(doc)) problems.push_back("not valid UTF-8");
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input", "source", "wbr"};
  static const std::set<std::string> kFetching = {"script", "link",  "img",   "iframe",        "object",      "embed",
                                                  "image",  "use",   "audio", "video",         "source",      "base",
                                                  "frame",  "track", "form",  "foreignobject", "style-import"};
  std::vector<std::string> open;
  size_t i = 0;
  if (doc.rfind("<?xml", 0) == 0) i = doc.find("?>") + 2;
  for (; i < doc.size(); ++i) {
    const char c = doc[i];
    if (c == '&') {
      static const char* kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
      bool ok = false;
      for (const char* e : kEntities) ok |= doc.compare(i, std::strlen(e), e) == 0;
      if (!ok) problems.push_back("a bare & at " + std::to_string(i) + ": " + doc.substr(i, 20));
      continue;
    }
    if (c == '>') {
      problems.push_back("a bare > at " + std::to_string(i) + ": " + doc.substr(i > 20 ? i - 20 : 0, 40));
      continue;
    }
    if (c != '<') continue;
    if (doc.compare(i, 9, "<!DOCTYPE") == 0) {
      i = doc.find('>', i);
      continue;
    }
    const size_t end = doc.find('>', i);
    if (end == std::string::npos) {
      problems.push_back("a tag that never ends at " + std::to_string(i));
      break;
    }
    std::string inside = doc.substr(i + 1, end - i - 1);
    Tag t;
    t.self_closing = !inside.empty() && inside.back() == '/';
    if (t.self_closing) inside.pop_back();
    const size_t sp = inside.find_first_of(" \n\t");
    t.name = lower(inside.substr(0, sp));
    t.attrs = sp == std::string::npos ? "" : inside.substr(sp);
    if (t.name.empty() || !(std::isalpha(static_cast<unsigned char>(t.name[0])) || t.name[0] == '/'))
      problems.push_back("a bare < at " + std::to_string(i) + ": " + doc.substr(i, 30));
    const std::string bare = t.name[0] == '/' ? t.name.substr(1) : t.name;
    if (kFetching.count(bare)) problems.push_back("<" + bare + "> loads or runs something");
    // Attributes: quoted values only; nothing that fetches, links or runs.
    const std::string attrs = lower(t.attrs);
    for (size_t q = 0; q < attrs.size(); ++q) {
      if (attrs[q] == '"') {
        const size_t close = attrs.find('"', q + 1);
        if (close == std::string::npos) {
          problems.push_back("an unterminated attribute in <" + t.name + ">");
          break;
        }
        const std::string value = attrs.substr(q + 1, close - q - 1);
        if (value.find("url(") != std::string::npos) problems.push_back("url( in an attribute of <" + t.name + ">");
        if (value.find('<') != std::string::npos) problems.push_back("< in an attribute of <" + t.name + ">");
        q = close;
        continue;
      }
      if (q == 0 || attrs[q - 1] == ' ' || attrs[q - 1] == '\n') {
        const size_t eq = attrs.find('=', q);
        const std::string name = attrs.substr(q, eq == std::string::npos ? std::string::npos : eq - q);
        for (const char* bad : {"src", "href", "xlink:href", "srcset", "action", "data", "poster", "background"})
          if (name == bad) problems.push_back(std::string(bad) + "= on <" + t.name + ">");
        if (name.rfind("on", 0) == 0) problems.push_back("an event handler " + name + " on <" + t.name + ">");
      }
    }
    if (t.name == "style") {  // CSS: nothing imported or fetched
      const size_t close = doc.find("</style>", end);
      const std::string css = doc.substr(end + 1, close - end - 1);
      if (css.find("url(") != std::string::npos || css.find("@import") != std::string::npos ||
          css.find("@font-face") != std::string::npos)
        problems.push_back("the style sheet loads something");
      i = close - 1;
    } else if (t.name[0] == '/') {
      if (open.empty() || open.back() != t.name.substr(1))
        problems.push_back("</" + t.name.substr(1) + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">");
      else
        open.pop_back();
      i = end;
      continue;
    }
    if (!t.self_closing && !(html && kVoid.count(t.name))) open.push_back(t.name);
    if (t.name == "svg" && (t.attrs.find("viewBox=\"") == std::string::npos ||
                            t.attrs.find("xmlns=\"http://www.w3.org/2000/svg\"") == std::string::npos))
      problems.push_back("an <svg> without its viewBox or namespace");
    i = end;
  }
  for (const std::string& t : open) problems.push_back("<" + t + "> is never closed");
  if (problems.size() > 10) problems.resize(10);
  return problems;
}

std::string join(const std::vector<std::string>& v) {
  std::string o;
  for (const auto& s : v) o += "\n  " + s;
  return o;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The text of every element `tag` (its first 400 characters).
std::vector<std::string> elements(const std::string& doc, const std::string& open_tag, const std::string& close_tag) {
  std::vector<std::string> out;
  for (size_t at = doc.find(open_tag); at != std::string::npos; at = doc.find(open_tag, at + 1)) {
    const size_t end = doc.find(close_tag, at);
    out.push_back(doc.substr(at, std::min<size_t>(end - at, 400)));
  }
  return out;
}

// The link targets of a Markdown text: "](" not escaped, up to ")".
std::set<std::string> md_links(const std::string& md) {
  std::set<std::string> linked;
  for (size_t at = md.find("]("); at != std::string::npos; at = md.find("](", at + 1)) {
    if (at > 0 && md[at - 1] == '\\') continue;  // an escaped "]" is text
    const size_t end = md.find(')', at);
    linked.insert(md.substr(at + 2, end - at - 2));
  }
  return linked;
}

// Every "<" of a Markdown text escaped: no raw HTML, no autolink.
bool md_angles_escaped(const std::string& md) {
  for (size_t i = 0; i < md.size(); ++i)
    if (md[i] == '<' && (i == 0 || md[i - 1] != '\\')) return false;
  return true;
}

std::vector<fs::path> recordings() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct Loaded {
  copyscope::Run run;
  Summary summary;
};

Loaded load(const fs::path& p) {
  Loaded l;
  l.run = load_trace(p.string());
  l.summary = summarize(l.run, Textbook::builtin().find(l.run.params.method));
  return l;
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result shell(const std::string& cmd, const fs::path& dir) {
  const std::string err_file = (dir / "stderr.txt").string();
  Result r;
  FILE* p = popen((cmd + " 2>" + err_file).c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = slurp(err_file);
  fs::remove(err_file);
  return r;
}

}  // namespace

TEST(ExportSvg, XmlTextEscapesRepairsAndBounds) {
  EXPECT_EQ(svg::xml_text("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(svg::xml_text("页缓存"), "页缓存");
  EXPECT_EQ(svg::xml_text("ok\xff\xfe!"), "ok\uFFFD\uFFFD!");      // invalid UTF-8
  EXPECT_EQ(svg::xml_text("\xe9\xa1"), "\uFFFD\uFFFD");            // cut short
  EXPECT_EQ(svg::xml_text("\xc0\xaf"), "\uFFFD\uFFFD");            // overlong "/"
  EXPECT_EQ(svg::xml_text("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(svg::xml_text(std::string("a\x01\x7f"
                                      "b\0c",
                                      6)),
            "a\uFFFD\uFFFDb\uFFFDc");  // controls
  EXPECT_EQ(svg::xml_text("tab\tnewline\n"), "tab\tnewline\n");
  EXPECT_EQ(svg::xml_text("abcdef", 3), "abc\u2026");
  EXPECT_EQ(svg::xml_text("页缓存区", 2), "页缓\u2026");  // characters, not bytes
  EXPECT_EQ(svg::bounded_utf8("<b>", 10), "<b>");
  EXPECT_EQ(svg::xml_text(std::string(100000, 'x')).size(), svg::kMaxSentence + std::string("\u2026").size());
  EXPECT_GT(svg::text_width("页缓存", 10), svg::text_width("abc", 10));
}

// Every recording: one HTML file, nothing beside it, every picture inline,
// nothing fetched, well-formed enough for a loose parser.
TEST(ExportReport, EveryRecordingIsOneSelfContainedHtmlFile) {
  size_t n = 0;
  for (const fs::path& rec : recordings()) {
    SCOPED_TRACE(rec.filename().string());
    const Loaded l = load(rec);
    for (const char* lang : {"en", "zh"}) {
      SCOPED_TRACE(lang);
      TempDir dir;
      const std::string path = (dir.path / "r.html").string();
      write_report({l.run}, {l.summary}, path, lang);
      EXPECT_EQ(dir.files(), std::set<std::string>{"r.html"});
      EXPECT_EQ(report_files(path, 1), std::vector<std::string>{path});
      const std::string html = slurp(path);
      EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
      const auto problems = self_contained_problems(html, true);
      EXPECT_TRUE(problems.empty()) << join(problems);
      // Two bar charts, the data-path diagram, a timeline excerpt.
      EXPECT_EQ(count(html, "<svg "), 4u);
      EXPECT_EQ(count(html, "</svg>"), 4u);
      EXPECT_EQ(count(html, "src="), 0u);
      EXPECT_EQ(count(html, "<img"), 0u);
      EXPECT_EQ(count(html, "<link"), 0u);
      EXPECT_EQ(count(html, "<script"), 0u);
      // Text is set in system fonts, never drawn as pixels.
      EXPECT_NE(html.find("font-family=\"'Noto Sans CJK SC'"), std::string::npos);
      EXPECT_EQ(html.find("data:image"), std::string::npos);
      // The diagram shows the boxes of the method's textbook row, in the report's language.
      const TextbookMethod* tb = Textbook::builtin().find(l.run.params.method);
      ASSERT_NE(tb, nullptr);
      const DiagramState d = build_diagram(l.run, l.summary, place_stages(l.run, l.summary.stages), tb, true);
      ASSERT_NE(d.row, nullptr);
      for (const DiagramArrow& a : d.row->arrows)
        for (const std::string& id : {a.from, a.to}) {
          const DiagramBox* b = tb->find_box(id);
          ASSERT_NE(b, nullptr) << id;
          EXPECT_NE(html.find(">" + svg::xml_text(d.box_label(*b).in(lang)) + "</text>"), std::string::npos) << id;
        }
      ++n;
    }
  }
  EXPECT_GE(n, 2u * 10);
}

TEST(ExportReport, ChineseReportHasChineseHeadingsNotesAndTextbook) {
  const Loaded l = load(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "read_write.json");
  TempDir dir;
  const std::string zh = (dir.path / "zh.html").string(), en = (dir.path / "en.html").string();
  write_report({l.run}, {l.summary}, zh, "zh");
  write_report({l.run}, {l.summary}, en, "en");
  const std::string z = slurp(zh), e = slurp(en);
  EXPECT_NE(z.find("<html lang=\"zh-CN\">"), std::string::npos);
  EXPECT_NE(e.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(z.find("<h1>copyscope 报告</h1>"), std::string::npos);
  const auto h2 = elements(z, "<h2>", "</h2>");
  EXPECT_GE(h2.size(), 5u);
  for (const std::string& h : h2) EXPECT_TRUE(has_cjk(h)) << h;
  const auto notes = elements(z, "<p class=\"note\">", "</p>");
  ASSERT_FALSE(notes.empty());
  EXPECT_TRUE(has_cjk(notes.front())) << notes.front();
  const auto th = elements(z, "<th>", "</th>");
  ASSERT_FALSE(th.empty());
  for (const std::string& h : th)
    if (h.find("hook") == std::string::npos) EXPECT_TRUE(has_cjk(h)) << h;
  // The textbook's own Chinese: the method's steps, the row and the diagram's boxes.
  const TextbookMethod* tb = Textbook::builtin().find("read_write");
  ASSERT_NE(tb, nullptr);
  const TextbookRow* row = tb->find_row(l.summary.row_id);
  ASSERT_NE(row, nullptr);
  ASSERT_FALSE(row->steps.empty());
  for (const DiagramStep& st : row->steps) EXPECT_NE(z.find(svg::xml_text(st.text.zh)), std::string::npos) << st.n;
  EXPECT_NE(z.find(">用户缓冲区</text>"), std::string::npos);
  EXPECT_NE(z.find(">内核态</text>"), std::string::npos);
  EXPECT_EQ(e.find(">内核态</text>"), std::string::npos);
  EXPECT_FALSE(has_cjk(e.substr(0, e.find("<h2>")))) << "the English report's head";
}

// Markdown: the pictures are SVG files beside it, exactly report_files(), and
// the only links in it point at them.
TEST(ExportReport, MarkdownLinksOnlyThePicturesItWrote) {
  std::vector<Loaded> all;
  for (const fs::path& rec : recordings()) all.push_back(load(rec));
  std::vector<const copyscope::Run*> runs;
  std::vector<Summary> ss;
  for (const Loaded& l : all) {
    runs.push_back(&l.run);
    ss.push_back(l.summary);
  }
  TempDir dir;
  const std::string path = (dir.path / "my report.md").string();
  write_report(runs, ss, path, "zh");
  std::set<std::string> listed;
  for (const std::string& f : report_files(path, runs.size())) listed.insert(fs::path(f).filename().string());
  EXPECT_EQ(dir.files(), listed);
  EXPECT_EQ(listed.size(), 1 + 2 + runs.size() + kMaxTimelineCharts);
  const std::string md = slurp(path);
  const std::set<std::string> linked = md_links(md);
  EXPECT_TRUE(md_angles_escaped(md));
  std::set<std::string> expected;
  for (const std::string& f : listed)
    if (f != "my report.md") expected.insert("my%20report" + f.substr(std::string("my report").size()));
  EXPECT_EQ(linked, expected);
  for (const std::string& f : listed) {
    if (f == "my report.md") continue;
    const std::string svg = slurp(dir.path / f);
    EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0), 0u) << f;
    const auto problems = self_contained_problems(svg, false);
    EXPECT_TRUE(problems.empty()) << f << join(problems);
  }
}

// A trace is untrusted: its strings are escaped, repaired and bounded in
// every format, and cannot add a link, an image or a script.
TEST(ExportReport, HostileTraceTextIsEscapedAndBounded) {
  Loaded l = load(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "sendfile.json");
  const std::string evil =
      "<script>alert(1)</script><img src=x onerror=y>\"'&amp; ![p](http://evil.example/p.png) "
      "[a](file:///etc/passwd) www.evil.example <http://evil.example> \xff\xfe\x01";
  l.run.params.method = evil;
  l.summary.params.method = evil;
  l.summary.params.sink = evil;
  l.summary.kernel.release = evil + std::string(100000, 'K');
  l.summary.kernel.hooks.push_back({evil, evil, std::string(50000, 'D') + evil});
  for (int i = 0; i < 5000; ++i) l.summary.kernel.hooks.push_back({"h", "attached", evil});
  l.summary.notes.push_back(same(evil));
  l.summary.deviations.push_back({evil, evil, 1, same(evil)});
  l.summary.stages.push_back({StageKind::CpuCopy, evil, evil, 1, same(evil), evil});
  TempDir dir;
  for (const char* name : {"h.html", "m.md"}) {
    SCOPED_TRACE(name);
    const std::string path = (dir.path / name).string();
    write_report({l.run}, {l.summary}, path, "en");
    const std::string doc = slurp(path);
    EXPECT_TRUE(valid_utf8(doc));
    EXPECT_LT(doc.size(), 2u << 20) << "bounded: a trace's long strings are cut, its long lists shortened";
    EXPECT_EQ(doc.find(std::string(2000, 'K')), std::string::npos);
    if (std::string(name) == "h.html") {
      const auto problems = self_contained_problems(doc, true);
      EXPECT_TRUE(problems.empty()) << join(problems);
      EXPECT_EQ(doc.find("<script"), std::string::npos);
      EXPECT_EQ(doc.find("<img"), std::string::npos);
      EXPECT_EQ(doc.find("<http"), std::string::npos);
      EXPECT_NE(doc.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    } else {
      // Links only to its own pictures, by position.
      for (const std::string& link : md_links(doc)) EXPECT_EQ(link.rfind("m-", 0), 0u) << link;
      EXPECT_TRUE(md_angles_escaped(doc));
      EXPECT_EQ(doc.find("http://"), std::string::npos);
      EXPECT_EQ(doc.find("file://"), std::string::npos);
      EXPECT_EQ(doc.find("www.evil"), std::string::npos);
      EXPECT_EQ(doc.find("[a]"), std::string::npos);
      EXPECT_NE(doc.find("\\<script\\>"), std::string::npos);
      for (const std::string& f : dir.files())
        if (f.size() > 4 && f.substr(f.size() - 4) == ".svg") {
          const auto problems = self_contained_problems(slurp(dir.path / f), false);
          EXPECT_TRUE(problems.empty()) << f << join(problems);
        }
    }
  }
  // The names come from the report's path alone.
  for (const std::string& f : dir.files()) EXPECT_TRUE(f.rfind("h.", 0) == 0 || f.rfind("m", 0) == 0) << f;
}

// The data-path diagram alone, as the GUI draws it: the boxes of the chosen
// row, the run's bytes on its arrows, struck-out stages that did not happen.
TEST(ExportSvg, DatapathOfEveryRecordingInBothLanguages) {
  for (const fs::path& rec : recordings()) {
    SCOPED_TRACE(rec.filename().string());
    const Loaded l = load(rec);
    const TextbookMethod* tb = Textbook::builtin().find(l.run.params.method);
    ASSERT_NE(tb, nullptr);
    for (const char* lang : {"en", "zh"}) {
      const std::string doc = svg::document(svg::datapath(l.run, l.summary, tb, lang));
      const auto problems = self_contained_problems(doc, false);
      EXPECT_TRUE(problems.empty()) << lang << join(problems);
      EXPECT_EQ(std::string(lang) == "zh", has_cjk(doc)) << lang;
      const TextbookRow* row = tb->find_row(l.summary.row_id);
      ASSERT_NE(row, nullptr);
      for (const DiagramArrow& a : row->arrows) {
        const DiagramBox* from = tb->find_box(a.from);
        ASSERT_NE(from, nullptr);
        if (from->place() != "socket_buffer" && from->place() != "nic")  // relabelled for other sinks
          EXPECT_NE(doc.find(">" + svg::xml_text(from->label.in(lang)) + "</text>"), std::string::npos) << a.from;
      }
    }
  }
  // Without a textbook diagram: a picture that says so, never a crash.
  const Loaded l = load(fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "sendfile.json");
  const std::string none = svg::datapath(l.run, l.summary, nullptr, "en");
  EXPECT_NE(none.find("No textbook diagram"), std::string::npos);
}

// The CLI: replay --report FILE.html writes one file; --svg writes the diagram;
// bad values exit 2 with one line.
TEST(ExportReport, ReplayWritesOneHtmlFileAndTheDiagram) {
  TempDir dir;
  const std::string rec = (fs::path(COPYSCOPE_SOURCE_ASSETS) / "recordings" / "sendfile.json").string();
  const std::string bin = COPYSCOPE_BIN;
  Result r = shell(bin + " replay " + rec + " --report " + (dir.path / "r.html").string() + " --svg " +
                       (dir.path / "d.svg").string() + " --lang zh",
                   dir.path);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(dir.files(), (std::set<std::string>{"d.svg", "r.html"}));
  const std::string d = slurp(dir.path / "d.svg");
  EXPECT_EQ(d.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(has_cjk(d));
  EXPECT_NE(d.find(">页缓存</text>"), std::string::npos);
  EXPECT_TRUE(self_contained_problems(d, false).empty());
  EXPECT_TRUE(self_contained_problems(slurp(dir.path / "r.html"), true).empty());

  for (const std::string& bad :
       {std::string(" --lang fr --report ") + (dir.path / "x.html").string(),
        std::string(" --svg ") + (dir.path / "x.png").string(),
        std::string(" --svg ") + (dir.path / "t.svg").string() + " --trace " + (dir.path / "t.svg").string()}) {
    SCOPED_TRACE(bad);
    r = shell(bin + " replay " + rec + bad, dir.path);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(count(r.err, "\n"), 1u) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(dir.files(), (std::set<std::string>{"d.svg", "r.html"}));
}
