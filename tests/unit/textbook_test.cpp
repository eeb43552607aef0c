#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "methods.h"
#include "model/textbook.h"

using copyscope::Textbook;

TEST(Textbook, EveryMethodIsConsistent) {
  Textbook tb = Textbook::load(std::string(COPYSCOPE_SOURCE_ASSETS) + "/methods");
  ASSERT_GE(tb.methods().size(), 15u);
  for (const auto& m : tb.methods()) {
    SCOPED_TRACE(m.name);
    std::set<std::string> ids;
    for (const auto& b : m.boxes) {
      ids.insert(b.id);
      EXPECT_TRUE(b.band == "user" || b.band == "kernel" || b.band == "hardware") << b.band;
      EXPECT_FALSE(b.label.en.empty());
      EXPECT_FALSE(b.label.zh.empty());
    }
    int cpu = 0, dma = 0;
    for (const auto& a : m.arrows) {
      EXPECT_TRUE(ids.count(a.from) && ids.count(a.to)) << a.from << "->" << a.to;
      cpu += a.kind == "cpu";
      dma += a.kind == "dma";
    }
    if (m.expect.cpu_copies) EXPECT_EQ(cpu, *m.expect.cpu_copies);
    if (m.expect.dma_copies) EXPECT_EQ(dma, *m.expect.dma_copies);
    EXPECT_GE(m.steps.size(), 3u);
    for (const auto& s : m.steps) {
      EXPECT_FALSE(s.text.en.empty());
      EXPECT_FALSE(s.text.zh.empty());
    }
  }
  const auto* rw = tb.find("read_write");
  ASSERT_NE(rw, nullptr);
  EXPECT_EQ(rw->expect.mode_switches, 4);
  EXPECT_EQ(rw->expect.cpu_copies, 2);
  EXPECT_EQ(rw->expect.dma_copies, 2);
  const auto* sf = tb.find("sendfile");
  ASSERT_NE(sf, nullptr);
  EXPECT_EQ(sf->expect.mode_switches, 2);
  EXPECT_EQ(sf->expect.cpu_copies, 1);
}

TEST(Textbook, RejectsBrokenFiles) {
  EXPECT_THROW(Textbook::parse("{"), std::exception);
  EXPECT_THROW(Textbook::parse("{\"methods\": [{}]}"), std::exception);
  EXPECT_THROW(Textbook::load("/nonexistent/textbook.json"), std::runtime_error);
}

// One method table: every method it names has its textbook file, and every
// textbook file is a method the table names (scenarios/methods.def).
TEST(Textbook, TheMethodTableAndTheAssetsAgree) {
  Textbook tb = Textbook::load(std::string(COPYSCOPE_SOURCE_ASSETS) + "/methods");
  std::set<std::string> table, assets;
  for (const auto& m : scenario::kMethods) table.insert(std::string(m.name));
  for (const auto& m : tb.methods()) assets.insert(m.name);
  EXPECT_EQ(table, assets);
  // Loaded in the table's order, the order the CLI lists and the GUI offers.
  size_t i = 0;
  for (const auto& m : scenario::kMethods) {
    ASSERT_LT(i, tb.methods().size());
    EXPECT_EQ(tb.methods()[i++].name, m.name);
  }
}

TEST(Textbook, AMethodFileMustNameItself) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("copyscope-tb-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pretender.json") << R"({"name": "read_write"})";
  EXPECT_THROW(Textbook::load(dir.string()), std::runtime_error);
  std::filesystem::remove_all(dir);
  EXPECT_THROW(Textbook::load(dir.string()), std::runtime_error);
}
