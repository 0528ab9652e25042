#pragma once
// The ledger: the only code that changes a balance. Every change is an append-only `Transaccion`
// entry with the user's next sequence number, then applied to `User.balance_micros` conditionally
// on the user's `ledger_seq`; no multi-document transactions (FerretDB, standalone MongoDB):
//   1. insert the entry {user_id, seq = ledger_seq + 1, amount, applied: false}; the unique
//      (user_id, seq) index lets only one writer take a number, across instances;
//   2. update the user where ledger_seq == seq - 1: $inc balance, $set ledger_seq = seq;
//   3. mark the entry applied.
// A crash between 1 and 3 leaves an unapplied entry that recover() (and the next write for that
// user) finishes once it is older than 10 s: applied exactly once, never lost. While its writer
// lives, only that writer applies it (others wait), so a non-atomic update (FerretDB) cannot run
// twice for one entry. Writes for one user are also serialized in
// this process. Entry ids may be deterministic (a pod's billing period): the same id twice is the
// same entry, so retries and a second instance never charge twice.
//
// apply_many() does the same for a batch (the billing loop's charges) in a few round trips:
//   0. entries whose id exists already are returned as they are (applied: charged before);
//   1. for each user that holds no unapplied entry and whose in-process lock is free, the next
//      sequence numbers are taken by one unordered insert of all the batch's entries;
//   2. one bulk write moves each such user's balance and ledger_seq, each conditional on the
//      ledger_seq read before (no other writer can apply past it: it would need our numbers);
//   3. one update marks them applied.
// A user whose insert was refused in part (another writer took a number, or the same id was
// inserted meanwhile) gets its just-inserted, never-applied entries removed again before anyone
// could apply them (they are fresh: other writers wait), and its changes take the one-by-one path
// of apply(), as do users that were busy or had unapplied entries.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/money.hpp"
#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::billing {

// charge: a running pod's use, paid (negative amount); usage: an admin's pod, recorded at price
// but not paid (amount 0, usage set); refund: a charge given back (a correction, positive).
enum class EntryKind : std::uint8_t { initial, credit, debit, set, charge, usage, refund };
std::string_view to_string(EntryKind kind);

struct Entry {
  std::string id;
  db::Oid user_id;
  std::int64_t seq = 0;
  EntryKind kind = EntryKind::credit;
  core::Micros amount;         // signed: credits positive, charges negative
  core::Micros balance_after;  // the user's balance once applied
  std::string reason;
  std::string actor_id;  // empty for the system (billing loop, sign-up)
  std::string actor_email;
  std::string pod_id;
  core::TimePoint ts;
  bool applied = false;
  core::Micros usage;  // charge/usage/refund: the use at the pod's price (refunds: negative)
  std::string day;     // charge/usage/refund: UTC day of the use ("2026-11-28"), for statistics
};

nlohmann::json to_json(const Entry& e);

struct Change {
  std::string id;  // empty: a new random id
  EntryKind kind = EntryKind::credit;
  core::Micros amount;
  std::string reason;
  std::string actor_id;
  std::string actor_email;
  std::string pod_id;
  core::Micros usage;
  std::string day;
};

class Ledger {
 public:
  Ledger(db::Database& db, const core::Clock& clock);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Records and applies a change. Throws core::NotFound when the user does not exist. When an
  // entry with change.id exists already, returns it (finishing it if needed) and changes nothing.
  boost::asio::awaitable<Entry> apply(db::Oid user_id, Change change);
  // What happened to one change of apply_many.
  struct Applied {
    std::optional<Entry> entry;  // the entry in the ledger with that id (applied)
    bool created = false;        // false: the id existed already (a retry, another instance)
    std::string error;           // when entry is empty: why (user unknown, database error...)
  };
  // Records and applies many changes (each user's in the given order) in a few round trips; see
  // the header comment. Same rules as apply() for each change; a failure for one user does not
  // stop the others (Applied::error). The result has one item per change, in the same order.
  boost::asio::awaitable<std::vector<Applied>> apply_many(
      std::vector<std::pair<db::Oid, Change>> changes);
  // Sets the balance to `target`: records the difference as a `set` entry.
  boost::asio::awaitable<Entry> set_balance(db::Oid user_id, core::Micros target, Change change);

  struct Page {
    std::vector<Entry> items;
    std::optional<std::int64_t> next_before_seq;
  };
  // Newest first; `before_seq` continues a previous page.
  boost::asio::awaitable<Page> list(db::Oid user_id, std::int64_t limit,
                                    std::optional<std::int64_t> before_seq);
  // Finishes every recorded-but-unapplied entry. Idempotent; returns how many were finished.
  boost::asio::awaitable<std::int64_t> recover();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropod::billing
