#include "metering/periods.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace neuropod::metering {

namespace {

std::int64_t ms_between(core::TimePoint from, core::TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

core::TimePoint at(core::TimePoint start, std::int64_t ms) {
  return start + std::chrono::milliseconds(ms);
}

}  // namespace

core::Micros cost_at(core::Micros price_per_hour, std::int64_t elapsed_ms) {
  if (elapsed_ms <= 0 || price_per_hour.value() <= 0) {
    return core::Micros(0);
  }
  // price * (q h + r) / 1 h = price * q + price * r / 1 h: no overflow below 2.5e12 per hour.
  const std::int64_t price = price_per_hour.value();
  return core::Micros(price * (elapsed_ms / kHourMs) + price * (elapsed_ms % kHourMs) / kHourMs);
}

std::vector<Period> due_periods(core::Micros price_per_hour, std::int64_t charged_ms,
                                std::int64_t upto_ms, bool ended) {
  std::vector<Period> out;
  if (upto_ms <= 0) {
    return out;
  }
  const std::int64_t first = std::max<std::int64_t>(charged_ms, 0) / kPeriodMs;
  // Ended: every period that holds part of [0, upto); going on: the complete ones.
  const std::int64_t last = ended ? (upto_ms + kPeriodMs - 1) / kPeriodMs : upto_ms / kPeriodMs;
  for (std::int64_t k = first; k < last; ++k) {
    Period p;
    p.index = k;
    p.from_ms = k * kPeriodMs;
    p.to_ms = std::min((k + 1) * kPeriodMs, upto_ms);
    p.amount = cost_at(price_per_hour, p.to_ms) - cost_at(price_per_hour, p.from_ms);
    out.push_back(p);
  }
  return out;
}

std::string period_id(const db::Oid& pod, std::int64_t generation, std::int64_t index) {
  return fmt::format("charge:{}:{}:{}", pod.to_string(), generation, index);
}

std::string refund_id(const db::Oid& pod, std::int64_t generation) {
  return fmt::format("refund:{}:{}", pod.to_string(), generation);
}

std::string utc_day(core::TimePoint t) {
  return core::to_iso8601(t).substr(0, 10);
}

core::Micros billed_total(const RunState& s) {
  if (!s.since || !s.until) {
    return s.prior;
  }
  return s.prior + cost_at(s.price, ms_between(*s.since, *s.until));
}

Plan plan(const RunState& state, const RunRecord& record, core::TimePoint now,
          std::chrono::milliseconds margin) {
  Plan p;
  p.next = state;
  const bool same_run = state.generation && *state.generation == record.generation;
  if (!same_run) {
    if (state.generation && state.unsettled) {
      // The record moved to another start before this run was settled: its end is gone. What
      // was charged stays (up to `until`); the rest cannot be known.
      p.lost_end = true;
      p.next.unsettled = false;
      p.write = true;
    }
    if (!record.running_since) {
      return p;  // this generation has not run (yet), or its start was reset with its end
    }
    RunState fresh;
    fresh.generation = record.generation;
    fresh.since = record.running_since;
    fresh.until = record.running_since;
    fresh.price = record.price_per_hour;
    fresh.prior = p.next.generation ? billed_total(p.next) : p.next.prior;
    fresh.unsettled = true;
    p.next = fresh;
    p.write = true;
  }
  if (!p.next.since) {
    return p;
  }
  const bool ended = record.stopped_at.has_value();
  if (!p.next.unsettled) {
    if (ended || !record.running_since) {
      return p;  // settled
    }
    // Settled, yet the record says this run goes on (a settle called too early): bill on.
    p.next.unsettled = true;
    p.write = true;
  }
  const core::TimePoint since = *p.next.since;
  const core::TimePoint until = p.next.until.value_or(since);
  const std::int64_t charged = ms_between(since, until);
  const std::int64_t upto =
      ended ? ms_between(since, *record.stopped_at) : ms_between(since, now - margin);
  p.periods = due_periods(p.next.price, charged, upto, ended);
  if (!p.periods.empty()) {
    const auto reached = at(since, p.periods.back().to_ms);
    if (reached > until) {
      p.next.until = reached;
      p.write = true;
    }
  }
  if (ended) {
    p.next.until = std::max(*record.stopped_at, since);
    p.next.unsettled = false;
    p.settles = true;
    p.write = true;
  }
  return p;
}

std::optional<std::int64_t> runway_seconds(core::Micros balance, core::Micros burn_per_hour) {
  if (burn_per_hour.value() <= 0) {
    return std::nullopt;
  }
  if (balance.value() <= 0) {
    return 0;
  }
  return balance.value() / burn_per_hour.value() * 3600 +
         balance.value() % burn_per_hour.value() * 3600 / burn_per_hour.value();
}

std::optional<std::int64_t> alert_level(core::Micros balance, core::Micros burn_per_hour,
                                        const std::vector<std::int64_t>& thresholds_minutes) {
  if (burn_per_hour.value() <= 0) {
    return std::nullopt;
  }
  if (balance.value() <= 0) {
    return 0;
  }
  const auto runway = runway_seconds(balance, burn_per_hour).value_or(0);
  std::optional<std::int64_t> level;
  for (const auto m : thresholds_minutes) {
    if (m > 0 && runway < m * 60 && (!level || m < *level)) {
      level = m;
    }
  }
  return level;
}

bool more_severe(std::optional<std::int64_t> level, std::optional<std::int64_t> previous) {
  return level.has_value() && (!previous.has_value() || *level < *previous);
}

}  // namespace neuropod::metering
