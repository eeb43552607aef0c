// The one place numbers become text (app/model/format.h): each unit boundary,
// the rounding that would print "1024.0 KiB" or "1000 µs", and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/format.h"

namespace copyscope {
namespace {

TEST(FormatBytes, EachUnitAndItsBoundary) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(4u << 20), "4.0 MiB");
  EXPECT_EQ(format_bytes(uint64_t{3} << 30), "3.0 GiB");
  // 1 MiB minus one byte would round to "1024.0 KiB": it moves up a unit.
  EXPECT_EQ(format_bytes((1u << 20) - 1), "1.0 MiB");
  // The largest counter still reads as a number in the largest unit.
  EXPECT_EQ(format_bytes(std::numeric_limits<uint64_t>::max()), "16384.0 PiB");
}

TEST(FormatRate, BytesPerSecond) {
  EXPECT_EQ(format_rate(0), "0 B/s");
  EXPECT_EQ(format_rate(840.1 * 1024 * 1024), "840.1 MiB/s");
  EXPECT_EQ(format_rate(1.3 * 1024 * 1024 * 1024), "1.3 GiB/s");
  EXPECT_EQ(format_rate(-5), "0 B/s");
  EXPECT_EQ(format_rate(std::nan("")), "0 B/s");
}

TEST(FormatDuration, ThreeSignificantDigits) {
  EXPECT_EQ(format_duration(850), "850 ns");
  EXPECT_EQ(format_duration(12'500), "12.5 \u00b5s");
  EXPECT_EQ(format_duration(3'150'000), "3.15 ms");
  EXPECT_EQ(format_duration(1.23e9), "1.23 s");
  EXPECT_EQ(format_duration(999'960), "1.00 ms");  // not "1000 µs"
  EXPECT_EQ(format_duration(-1), "0 ns");
}

TEST(FormatCount, ThousandsSeparators) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(438), "438");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1'048'576), "1,048,576");
}

TEST(FormatFigure, NoTrailingZeros) {
  EXPECT_EQ(format_figure(4), "4");
  EXPECT_EQ(format_figure(4.03), "4.03");
  EXPECT_EQ(format_figure(0.5), "0.5");
  EXPECT_EQ(format_figure(2.004), "2");
  EXPECT_EQ(format_figure(-0.001), "0");
  EXPECT_EQ(format_figure(1.23456, 3), "1.235");
}

}  // namespace
}  // namespace copyscope
