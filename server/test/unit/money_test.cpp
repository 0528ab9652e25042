#include "core/money.hpp"

#include <gtest/gtest.h>

using neuropod::core::Micros;

TEST(Micros, ParsesEuros) {
  EXPECT_EQ(Micros::parse_eur("10"), Micros(10'000'000));
  EXPECT_EQ(Micros::parse_eur("0.5"), Micros(500'000));
  EXPECT_EQ(Micros::parse_eur("-0.000001"), Micros(-1));
  EXPECT_EQ(Micros::parse_eur(".25"), Micros(250'000));
}

TEST(Micros, RejectsGarbage) {
  for (const char* bad :
       {"", "-", "abc", "1.2.3", "1.0000001", "1e5", " 1", "99999999999999999999"}) {
    EXPECT_THROW(Micros::parse_eur(bad), std::invalid_argument) << bad;
  }
}

TEST(Micros, FormatsEuros) {
  EXPECT_EQ(Micros(10'500'000).to_eur_string(), "10.500000");
  EXPECT_EQ(Micros(-1).to_eur_string(), "-0.000001");
  EXPECT_EQ(Micros(0).to_eur_string(), "0.000000");
}

TEST(Micros, Arithmetic) {
  EXPECT_EQ(Micros::from_eur(1) + Micros(5), Micros(1'000'005));
  EXPECT_LT(Micros(1), Micros(2));
}

TEST(Micros, DisplaysCentsUnlessThatHidesTheAmount) {
  using neuropod::core::Micros;
  EXPECT_EQ(Micros::from_eur(10).to_display(), "€10.00");
  EXPECT_EQ(Micros(10'500'000).to_display(), "€10.50");
  EXPECT_EQ(Micros(4'200).to_display(), "€0.0042");
  EXPECT_EQ(Micros(1'234'567).to_display(), "€1.234567");
  EXPECT_EQ(Micros(0).to_display(), "€0.00");
  EXPECT_EQ(Micros(-1'200'000).to_display(), "-€1.20");
  EXPECT_EQ(Micros(-1).to_display(), "-€0.000001");
}
