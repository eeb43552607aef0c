#include <gtest/gtest.h>

#include "model/size.h"

using copyscope::format_size;
using copyscope::parse_size;

TEST(ParseSize, AcceptsSuffixes) {
  EXPECT_EQ(parse_size("4096", nullptr), 4096u);
  EXPECT_EQ(parse_size("64K", nullptr), 64u << 10);
  EXPECT_EQ(parse_size("32m", nullptr), 32u << 20);
  EXPECT_EQ(parse_size("1G", nullptr), 1ull << 30);
  EXPECT_EQ(parse_size("2MiB", nullptr), 2u << 20);
  EXPECT_EQ(parse_size("3P", nullptr), 3ull << 50);
}

TEST(ParseSize, RejectsGarbageWithAReason) {
  for (const char* bad : {"", "-1", "-64M", "abc", "12X", "M", "99999999999999999999", "20000000P"}) {
    std::string err;
    EXPECT_FALSE(parse_size(bad, &err).has_value()) << bad;
    EXPECT_FALSE(err.empty()) << bad;
    EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
  }
}

TEST(FormatSize, RoundTrips) {
  EXPECT_EQ(format_size(64u << 20), "64M");
  EXPECT_EQ(format_size(4096), "4K");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(parse_size(format_size(3ull << 30), nullptr), 3ull << 30);
}
