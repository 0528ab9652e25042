#pragma once
// What users and admins read about billing: balance, burn rate and runway, what was spent, and use
// per day and per pod (charts). Sums are computed by the database ($match + $group on the ledger's
// `day` field, which every metered entry carries), so only totals travel.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/money.hpp"
#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::metering {

inline constexpr std::int64_t kMaxUsageDays = 90;

// Spent: what was charged (refunds deducted). Use: at price, admins' included (what it would
// have cost them). Windows are UTC calendar days: today, the last 7 and the last 30 (today too).
struct Totals {
  core::Micros spent_today, spent_7d, spent_30d;
  core::Micros usage_today, usage_7d, usage_30d;
};

struct Summary {
  bool admin = false;
  core::Micros balance;
  core::Micros burn_per_hour;          // the hourly prices of the pods billed now
  std::int64_t running_pods = 0;       // pods billed now
  std::optional<std::int64_t> runway;  // seconds; none when nothing is billed, or for admins
  Totals totals;
};

struct DayTotal {
  std::string day;  // "2026-11-28"
  core::Micros spent;
  core::Micros usage;
};

struct PartTotal {
  std::string id;    // a pod id (a user's usage) or a user id (admins' usage)
  std::string name;  // the pod's name, or the user's email
  core::Micros spent;
  core::Micros usage;
};

struct Usage {
  std::string from;              // first day, inclusive
  std::string to;                // today
  std::vector<DayTotal> days;    // every day of the range, oldest first (zeros included)
  std::vector<PartTotal> parts;  // by pod (a user) or by user (all), most used first
  core::Micros spent;
  core::Micros usage;
};

struct AdminSummary {
  std::int64_t running_pods = 0;
  std::int64_t users_running = 0;          // users with pods billed now
  core::Micros burn_per_hour;              // clients' pods: what comes in per hour
  core::Micros admin_burn_per_hour;        // admins' pods: recorded, not charged
  core::Micros client_balances;            // sum of the clients' balances
  std::int64_t clients_out_of_credit = 0;  // clients at a balance <= 0
  Totals totals;                           // every user
};

nlohmann::json to_json(const Summary& s);
nlohmann::json to_json(const Usage& u, bool by_user);
nlohmann::json to_json(const AdminSummary& s);

class Reports {
 public:
  Reports(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // Throws core::NotFound when the user does not exist.
  boost::asio::awaitable<Summary> summary(db::Oid user);
  // The last `days` days (1..kMaxUsageDays, today included), by day and by pod.
  boost::asio::awaitable<Usage> usage(db::Oid user, std::int64_t days);
  boost::asio::awaitable<AdminSummary> admin_summary();
  // Every user: by day and by user.
  boost::asio::awaitable<Usage> admin_usage(std::int64_t days);

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

}  // namespace neuropod::metering
