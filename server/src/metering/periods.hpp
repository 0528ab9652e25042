#pragma once
// The arithmetic of metering, pure (unit-tested): what a run costs, which periods of it are due,
// and how a pod's billing state moves.
//
// A pod's run is [start, end) of one generation (one start of the pod). Period k of a run is
// [start + k minutes, start + (k + 1) minutes). The cost of the first t milliseconds is
// cost_at(price, t) = floor(price_per_hour * t / 1 h), and a span is charged cost(end) -
// cost(start): the charges of a run add up to exactly cost_at(price, its length), however the
// periods fall. Each period is one ledger entry with a deterministic id (period_id), so charging a
// period twice (a retry, a restart, a second instance) is the same entry.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/money.hpp"
#include "core/time.hpp"
#include "db/bson.hpp"

namespace neuropod::metering {

inline constexpr std::int64_t kPeriodMs = 60'000;
inline constexpr std::int64_t kHourMs = 3'600'000;

// floor(price_per_hour * elapsed_ms / 1 h) without overflow; 0 for elapsed_ms <= 0 or a price <= 0.
core::Micros cost_at(core::Micros price_per_hour, std::int64_t elapsed_ms);

struct Period {
  std::int64_t index = 0;    // k
  std::int64_t from_ms = 0;  // since the run's start
  std::int64_t to_ms = 0;    // exclusive; < (k + 1) minutes only for the last period of a run
  core::Micros amount;       // cost_at(to_ms) - cost_at(from_ms)
};

// The periods to charge. The run is charged up to `charged_ms` (since its start); charging resumes
// at the start of the period that holds it (charging a period again is harmless: same id). While
// the run goes on (`ended` false) only the periods complete by `upto_ms`; once it ended at
// `upto_ms`, its last, partial period too.
std::vector<Period> due_periods(core::Micros price_per_hour, std::int64_t charged_ms,
                                std::int64_t upto_ms, bool ended);

// "charge:<pod>:<generation>:<k>": one ledger entry per period, whoever charges it.
std::string period_id(const db::Oid& pod, std::int64_t generation, std::int64_t index);
// "refund:<pod>:<generation>": the one correction of a run (see Meter::settle).
std::string refund_id(const db::Oid& pod, std::int64_t generation);
// The UTC day of a time point, "2026-11-28".
std::string utc_day(core::TimePoint t);

// Billing's own fields on a Pod document (PodStore::save never writes them).
struct RunState {
  std::optional<std::int64_t> generation;  // the run being billed, or last billed
  std::optional<core::TimePoint> since;    // its start
  std::optional<core::TimePoint> until;    // charged up to (its end once settled)
  core::Micros price;                      // per hour, fixed when billing first saw the run
  core::Micros prior;                      // what the pod's earlier runs cost
  bool unsettled = false;                  // the run may still have use not charged
};

// What the pods module records of the pod's current run.
struct RunRecord {
  std::int64_t generation = 0;
  core::Micros price_per_hour;
  std::optional<core::TimePoint> running_since;  // reset by the pods module when a run ends
  std::optional<core::TimePoint> stopped_at;     // set when the run ended; reset at a new start
};

// What the pod cost so far: its earlier runs and the current one up to `until`.
core::Micros billed_total(const RunState& s);

struct Plan {
  RunState next;
  std::vector<Period> periods;  // of next's run (generation next.generation)
  bool write = false;           // next differs from the state: save it
  bool settles = false;         // the run ended and is charged in full with these periods
  bool lost_end = false;        // an earlier run was never settled and its end is gone (reset)
};

// One pod's billing step at `now`. A run still going is charged for the periods complete by
// now - margin (margin: clock differences between instances; a period charged whole although the
// run ended inside it is refunded when it settles). A run that ended (stopped_at) is charged to
// its end and settled.
Plan plan(const RunState& state, const RunRecord& record, core::TimePoint now,
          std::chrono::milliseconds margin);

// Seconds the balance lasts at `burn_per_hour` (0 once used up); nullopt when nothing is billed.
std::optional<std::int64_t> runway_seconds(core::Micros balance, core::Micros burn_per_hour);

// The warning level of a user: 0 when the balance is used up (<= 0) while pods are billed, else
// the smallest threshold (minutes) the runway is under, else nullopt (also when nothing is billed).
std::optional<std::int64_t> alert_level(core::Micros balance, core::Micros burn_per_hour,
                                        const std::vector<std::int64_t>& thresholds_minutes);
// Whether `level` is more severe than `previous` (nullopt: no warning; 0 the most severe).
bool more_severe(std::optional<std::int64_t> level, std::optional<std::int64_t> previous);

}  // namespace neuropod::metering
