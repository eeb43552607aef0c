// Plot axes (model/plot_axis.h): round ticks, units that suit the values,
// never scientific notation; smoothing keeps the total shape.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "model/plot_axis.h"

namespace {

using namespace copyscope;

std::vector<std::string> labels(const std::vector<Tick>& t) {
  std::vector<std::string> out;
  for (const Tick& x : t) out.push_back(x.label);
  return out;
}

TEST(PlotAxis, NiceTicksAreOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(nice_ticks(9, 4), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(nice_ticks(1.7, 4), (std::vector<double>{0, 0.5, 1, 1.5, 2}));
  EXPECT_EQ(nice_ticks(100, 4), (std::vector<double>{0, 50, 100}));
  EXPECT_EQ(nice_ticks(0, 4), (std::vector<double>{0, 1}));
  const auto t = nice_ticks(123456789, 5);
  EXPECT_GE(t.back(), 123456789);
  EXPECT_LE(t.size(), 7u);
}

TEST(PlotAxis, RatesInBinaryUnitsWithRoundLabels) {
  EXPECT_EQ(labels(rate_ticks(1.3 * 1024 * 1024 * 1024, 4)),
            (std::vector<std::string>{"0", "0.5 GiB/s", "1 GiB/s", "1.5 GiB/s"}));
  EXPECT_EQ(labels(rate_ticks(700.0 * 1024 * 1024, 4)),
            (std::vector<std::string>{"0", "200 MiB/s", "400 MiB/s", "600 MiB/s", "800 MiB/s"}));
  EXPECT_EQ(labels(rate_ticks(100, 2)), (std::vector<std::string>{"0", "50 B/s", "100 B/s"}));
}

TEST(PlotAxis, CountsPerSecondUseSiPrefixesNeverExponents) {
  EXPECT_EQ(labels(per_second_ticks(1.2e6, 3)), (std::vector<std::string>{"0", "0.5 M/s", "1 M/s", "1.5 M/s"}));
  EXPECT_EQ(labels(per_second_ticks(2500, 4)), (std::vector<std::string>{"0", "1 k/s", "2 k/s", "3 k/s"}));
  for (const Tick& t : per_second_ticks(3.7e9, 4)) EXPECT_EQ(t.label.find('e'), std::string::npos) << t.label;
}

TEST(PlotAxis, TimeTicksStayInsideTheSpan) {
  EXPECT_EQ(labels(time_ticks(3.15e6, 4)), (std::vector<std::string>{"0", "1 ms", "2 ms", "3 ms"}));
  EXPECT_EQ(labels(time_ticks(800, 4)), (std::vector<std::string>{"0", "200 ns", "400 ns", "600 ns", "800 ns"}));
}

TEST(PlotAxis, PerSecondFiguresHaveThreeDigitsAndAPrefix) {
  EXPECT_EQ(format_per_second(228885.33), "229 k/s");
  EXPECT_EQ(format_per_second(1500000), "1.5 M/s");
  EXPECT_EQ(format_per_second(12), "12 /s");
  EXPECT_EQ(format_per_second(0), "0 /s");
}

TEST(PlotAxis, PlainNumbers) {
  EXPECT_EQ(plain_number(1.5), "1.5");
  EXPECT_EQ(plain_number(250), "250");
  EXPECT_EQ(plain_number(0.25), "0.25");
  EXPECT_EQ(plain_number(1e6), "1000000");
}

TEST(PlotAxis, MovingAverageFlattensASpikeAndKeepsALevel) {
  const std::vector<double> spike = {0, 0, 0, 10, 0, 0, 0};
  const auto s = moving_average(spike, 5);
  EXPECT_DOUBLE_EQ(s[3], 2.0);
  EXPECT_LT(*std::max_element(s.begin(), s.end()), 10.0);
  const auto flat = moving_average(std::vector<double>(9, 4.0), 5);
  for (double v : flat) EXPECT_DOUBLE_EQ(v, 4.0);
  EXPECT_TRUE(moving_average({}, 5).empty());
}

}  // namespace
