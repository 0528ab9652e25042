// The arithmetic of metering: cost of a span, which periods are due, how a pod's billing state
// moves, and the runway warning levels.
#include "metering/periods.hpp"

#include <numeric>

#include <gtest/gtest.h>

namespace core = neuropod::core;
namespace db = neuropod::db;
namespace metering = neuropod::metering;
using metering::cost_at;
using metering::due_periods;
using metering::kPeriodMs;

namespace {

constexpr core::Micros kPrice(1'234'567);  // 1.234567 EUR/h

core::TimePoint t0() {
  return *core::from_iso8601("2026-03-01T22:00:00.000Z");
}

core::TimePoint at_ms(std::int64_t ms) {
  return t0() + std::chrono::milliseconds(ms);
}

std::int64_t sum(const std::vector<metering::Period>& periods) {
  return std::accumulate(
      periods.begin(), periods.end(), std::int64_t{0},
      [](std::int64_t s, const metering::Period& p) { return s + p.amount.value(); });
}

metering::RunRecord running(std::int64_t generation, std::int64_t since_ms) {
  metering::RunRecord r;
  r.generation = generation;
  r.price_per_hour = kPrice;
  r.running_since = at_ms(since_ms);
  return r;
}

}  // namespace

TEST(MeteringCost, IsTheFloorOfPriceTimesTime) {
  EXPECT_EQ(cost_at(kPrice, 0).value(), 0);
  EXPECT_EQ(cost_at(kPrice, -5).value(), 0);
  EXPECT_EQ(cost_at(core::Micros(0), 1'000'000).value(), 0);
  EXPECT_EQ(cost_at(kPrice, metering::kHourMs).value(), 1'234'567);
  EXPECT_EQ(cost_at(kPrice, 60'000).value(), 20'576);  // 1234567 / 60 = 20576.1...
  EXPECT_EQ(cost_at(core::Micros(3'600'000), 1).value(), 1);
  EXPECT_EQ(cost_at(core::Micros(3'599'999), 1).value(), 0);
  // 3 h 17 min 23.5 s: floor(1234567 * 11843500 / 3600000)
  EXPECT_EQ(cost_at(kPrice, 11'843'500).value(), 4'061'553);
}

TEST(MeteringCost, DoesNotOverflowForExpensivePodsRunningForYears) {
  const core::Micros price(1'000'000'000);  // 1000 EUR/h
  const std::int64_t ten_years = 10LL * 365 * 24 * metering::kHourMs;
  EXPECT_EQ(cost_at(price, ten_years).value(), 1'000'000'000LL * 10 * 365 * 24);
}

TEST(MeteringPeriods, OnlyCompletePeriodsWhileTheRunGoesOn) {
  EXPECT_TRUE(due_periods(kPrice, 0, 59'999, false).empty());
  auto p = due_periods(kPrice, 0, 150'000, false);
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0].index, 0);
  EXPECT_EQ(p[1].index, 1);
  EXPECT_EQ(p[1].from_ms, 60'000);
  EXPECT_EQ(p[1].to_ms, 120'000);
  EXPECT_EQ(sum(p), cost_at(kPrice, 120'000).value());
  // Resumes where it was charged.
  auto next = due_periods(kPrice, 120'000, 190'000, false);
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].index, 2);
  EXPECT_TRUE(due_periods(kPrice, 0, -1, false).empty());
}

TEST(MeteringPeriods, AnEndedRunGetsItsLastPartialPeriod) {
  auto p = due_periods(kPrice, 120'000, 150'250, true);
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].index, 2);
  EXPECT_EQ(p[0].to_ms, 150'250);
  EXPECT_EQ(p[0].amount.value(),
            cost_at(kPrice, 150'250).value() - cost_at(kPrice, 120'000).value());
  // Ending exactly on a boundary adds no empty period.
  EXPECT_TRUE(due_periods(kPrice, 120'000, 120'000, true).empty());
  // A run shorter than a period: one partial period 0.
  auto short_run = due_periods(kPrice, 0, 20'000, true);
  ASSERT_EQ(short_run.size(), 1U);
  EXPECT_EQ(short_run[0].index, 0);
  EXPECT_EQ(short_run[0].amount.value(), cost_at(kPrice, 20'000).value());
}

TEST(MeteringPeriods, ChargedMidPeriodResumesAtThatPeriodsStart) {
  // A settled run reopened (or settled twice): the partial period comes again with the same
  // index, so the ledger sees the same id.
  auto p = due_periods(kPrice, 150'250, 150'250, true);
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0].index, 2);
  EXPECT_EQ(p[0].from_ms, 120'000);
}

TEST(MeteringPeriods, ChargesAddUpExactlyWhateverTheSchedule) {
  for (const std::int64_t price : {1LL, 7LL, 999'999LL, 1'234'567LL, 50'000'000LL}) {
    for (const std::int64_t length : {1LL, 59'999LL, 60'000LL, 61'001LL, 11'843'500LL}) {
      for (const std::int64_t step : {30'000LL, 45'000LL, 200'000LL}) {
        std::int64_t charged_ms = 0;
        std::int64_t total = 0;
        std::int64_t last_index = -1;
        for (std::int64_t now = step; now < length; now += step) {
          auto p = due_periods(core::Micros(price), charged_ms, now, false);
          for (const auto& period : p) {
            EXPECT_EQ(period.index, last_index + 1) << "no period skipped or repeated";
            last_index = period.index;
            total += period.amount.value();
            charged_ms = period.to_ms;
          }
        }
        for (const auto& period : due_periods(core::Micros(price), charged_ms, length, true)) {
          EXPECT_EQ(period.index, last_index + 1);
          last_index = period.index;
          total += period.amount.value();
        }
        EXPECT_EQ(total, cost_at(core::Micros(price), length).value())
            << "price " << price << " length " << length << " step " << step;
      }
    }
  }
}

TEST(MeteringIds, AreDeterministicPerPodGenerationAndPeriod) {
  const auto pod = *db::Oid::parse("0123456789abcdef01234567");
  EXPECT_EQ(metering::period_id(pod, 3, 17), "charge:0123456789abcdef01234567:3:17");
  EXPECT_EQ(metering::refund_id(pod, 3), "refund:0123456789abcdef01234567:3");
  EXPECT_EQ(metering::utc_day(t0()), "2026-03-01");
  EXPECT_EQ(metering::utc_day(t0() + std::chrono::hours(2)), "2026-03-02");
}

TEST(MeteringPlan, FirstSightOfARunRemembersItsStartAndPrice) {
  metering::RunState none;
  auto p = metering::plan(none, running(1, 0), at_ms(130'000), std::chrono::seconds(5));
  EXPECT_TRUE(p.write);
  ASSERT_TRUE(p.next.generation.has_value());
  EXPECT_EQ(*p.next.generation, 1);
  EXPECT_EQ(*p.next.since, at_ms(0));
  EXPECT_EQ(p.next.price, kPrice);
  EXPECT_TRUE(p.next.unsettled);
  ASSERT_EQ(p.periods.size(), 2U);
  EXPECT_EQ(*p.next.until, at_ms(120'000));
  EXPECT_FALSE(p.settles);
}

TEST(MeteringPlan, TheMarginKeepsAFreshlyCompletedPeriodForTheNextPass) {
  metering::RunState none;
  auto p = metering::plan(none, running(1, 0), at_ms(62'000), std::chrono::seconds(5));
  EXPECT_TRUE(p.periods.empty());
  auto later = metering::plan(p.next, running(1, 0), at_ms(66'000), std::chrono::seconds(5));
  EXPECT_EQ(later.periods.size(), 1U);
}

TEST(MeteringPlan, NothingWhileNotRunningAndNothingTwice) {
  metering::RunState none;
  metering::RunRecord pending;
  pending.generation = 1;
  pending.price_per_hour = kPrice;
  auto p = metering::plan(none, pending, at_ms(500'000), std::chrono::seconds(5));
  EXPECT_FALSE(p.write);
  EXPECT_TRUE(p.periods.empty());

  auto first = metering::plan(none, running(1, 0), at_ms(130'000), std::chrono::seconds(0));
  auto again = metering::plan(first.next, running(1, 0), at_ms(130'000), std::chrono::seconds(0));
  EXPECT_TRUE(again.periods.empty());
  EXPECT_FALSE(again.write);
}

TEST(MeteringPlan, AnEndedRunSettlesWithItsRemainder) {
  metering::RunState none;
  auto first = metering::plan(none, running(1, 0), at_ms(70'000), std::chrono::seconds(5));
  ASSERT_EQ(first.periods.size(), 1U);
  // The pods module records the end and resets running_since.
  metering::RunRecord ended;
  ended.generation = 1;
  ended.price_per_hour = kPrice;
  ended.stopped_at = at_ms(150'250);
  auto p = metering::plan(first.next, ended, at_ms(400'000), std::chrono::seconds(5));
  EXPECT_TRUE(p.settles);
  EXPECT_FALSE(p.next.unsettled);
  ASSERT_EQ(p.periods.size(), 2U);
  EXPECT_EQ(sum(first.periods) + sum(p.periods), cost_at(kPrice, 150'250).value());
  EXPECT_EQ(metering::billed_total(p.next).value(), cost_at(kPrice, 150'250).value());
  // Settled: nothing more, whenever asked.
  auto again = metering::plan(p.next, ended, at_ms(900'000), std::chrono::seconds(5));
  EXPECT_TRUE(again.periods.empty());
  EXPECT_FALSE(again.write);
}

TEST(MeteringPlan, ANewStartKeepsWhatEarlierRunsCost) {
  metering::RunState none;
  metering::RunRecord ended;
  ended.generation = 1;
  ended.price_per_hour = kPrice;
  ended.running_since = at_ms(0);
  ended.stopped_at = at_ms(90'000);
  auto first = metering::plan(none, ended, at_ms(100'000), std::chrono::seconds(5));
  EXPECT_TRUE(first.settles);
  auto second =
      metering::plan(first.next, running(2, 200'000), at_ms(330'000), std::chrono::seconds(5));
  EXPECT_EQ(*second.next.generation, 2);
  EXPECT_EQ(second.next.prior.value(), cost_at(kPrice, 90'000).value());
  EXPECT_EQ(second.periods.size(), 2U);
  EXPECT_EQ(metering::billed_total(second.next).value(),
            cost_at(kPrice, 90'000).value() + cost_at(kPrice, 120'000).value());
  EXPECT_FALSE(second.lost_end);
}

TEST(MeteringPlan, ARunResetBeforeItWasSettledIsClosedAsCharged) {
  metering::RunState none;
  auto first = metering::plan(none, running(1, 0), at_ms(130'000), std::chrono::seconds(0));
  metering::RunRecord restarted;  // generation 2, not running yet: the end of run 1 is gone
  restarted.generation = 2;
  restarted.price_per_hour = kPrice;
  auto p = metering::plan(first.next, restarted, at_ms(200'000), std::chrono::seconds(0));
  EXPECT_TRUE(p.lost_end);
  EXPECT_TRUE(p.write);
  EXPECT_FALSE(p.next.unsettled);
  EXPECT_TRUE(p.periods.empty());
}

TEST(MeteringPlan, ASettleCalledWhileTheRunGoesOnIsReopened) {
  metering::RunState settled;
  settled.generation = 1;
  settled.since = at_ms(0);
  settled.until = at_ms(90'000);
  settled.price = kPrice;
  settled.unsettled = false;
  auto p = metering::plan(settled, running(1, 0), at_ms(200'000), std::chrono::seconds(0));
  EXPECT_TRUE(p.next.unsettled);
  ASSERT_FALSE(p.periods.empty());
  EXPECT_EQ(p.periods.front().index, 1);  // period 1 again (same id: the ledger skips it)
  EXPECT_EQ(p.periods.back().index, 2);
}

TEST(MeteringRunway, SecondsAndWarningLevels) {
  const core::Micros burn(6'000'000);  // 6 EUR/h = 0.1 EUR/min
  EXPECT_EQ(metering::runway_seconds(core::Micros(7'000'000), burn), 4200);
  EXPECT_EQ(metering::runway_seconds(core::Micros(-5), burn), 0);
  EXPECT_FALSE(metering::runway_seconds(core::Micros(5), core::Micros(0)).has_value());
  const std::vector<std::int64_t> thresholds = {60, 10};
  EXPECT_FALSE(metering::alert_level(core::Micros(7'000'000), burn, thresholds).has_value());
  EXPECT_EQ(metering::alert_level(core::Micros(5'900'000), burn, thresholds), 60);
  EXPECT_EQ(metering::alert_level(core::Micros(900'000), burn, thresholds), 10);
  EXPECT_EQ(metering::alert_level(core::Micros(0), burn, thresholds), 0);
  EXPECT_FALSE(metering::alert_level(core::Micros(-1), core::Micros(0), thresholds).has_value())
      << "nothing billed: nothing to warn about";
  EXPECT_TRUE(metering::more_severe(60, std::nullopt));
  EXPECT_TRUE(metering::more_severe(10, 60));
  EXPECT_TRUE(metering::more_severe(0, 10));
  EXPECT_FALSE(metering::more_severe(60, 10));
  EXPECT_FALSE(metering::more_severe(std::nullopt, 60));
  EXPECT_FALSE(metering::more_severe(10, 10));
}
