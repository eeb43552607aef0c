// Line breaking for wrapped text in both languages (model/line_break.h): each
// character is one unit wide here, so a width of N is N characters.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "model/line_break.h"

namespace {

using copyscope::break_lines;

std::string br(const std::string& s, float w) {
  return break_lines(s, w, [](uint32_t) { return 1.0f; });
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Characters, not bytes: a CJK character is 3 bytes of UTF-8.
size_t chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(LineBreak, LatinBreaksAtSpacesAndDropsThem) {
  EXPECT_EQ(br("the quick brown fox", 10), "the quick\nbrown fox");
  EXPECT_EQ(br("short", 10), "short");
  EXPECT_EQ(br("a  b", 1), "a\nb");
}

TEST(LineBreak, ChineseBreaksBetweenIdeographsAndFillsTheLine) {
  const std::string s = "磁盘控制器通过直接内存访问把数据读入页缓存";  // 20 characters, no space
  const auto l = lines(br(s, 8));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(chars(l[0]), 8u) << "a full line, not one cut at a far-away space";
  EXPECT_EQ(chars(l[1]), 8u);
  EXPECT_EQ(l[0] + l[1] + l[2], s) << "nothing lost or added";
}

TEST(LineBreak, NoLineStartsWithAClosingMark) {
  // Width 4: the natural break would put "，" first on line 2; it goes back one character.
  const auto l = lines(br("缓存未命中，磁盘", 5));
  ASSERT_GE(l.size(), 2u);
  for (const std::string& x : l) {
    EXPECT_NE(x.rfind("，", 0), 0u) << x;
    EXPECT_LE(chars(x), 5u) << x;
  }
}

TEST(LineBreak, MixedTextBreaksAtTheBoundaryOfAWord) {
  const auto l = lines(br("程序调用 sendfile() 后线程进入内核态", 12));
  for (const std::string& x : l) EXPECT_LE(chars(x), 12u) << x;
  bool whole = false;
  for (const std::string& x : l) whole |= x.find("sendfile()") != std::string::npos;
  EXPECT_TRUE(whole) << "the Latin word is not split";
}

TEST(LineBreak, AWordWiderThanTheLineIsCutAndNewlinesStay) {
  EXPECT_EQ(br("abcdefgh", 3), "abc\ndef\ngh");
  EXPECT_EQ(br("one\n\ntwo", 10), "one\n\ntwo");
  EXPECT_EQ(br("", 5), "");
}

TEST(LineBreak, MalformedUtf8IsKeptByteForByte) {
  const std::string bad = "ab\xff\xfe" "cd";
  std::string joined;
  for (const std::string& x : lines(br(bad, 2))) joined += x;
  EXPECT_EQ(joined, bad);
}

}  // namespace
