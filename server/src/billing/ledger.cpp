#include "billing/ledger.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/logging.hpp"
#include "db/schema.hpp"

namespace neuropod::billing {

namespace {

constexpr int kMaxAttempts = 8;
// An unapplied entry younger than this belongs to a writer that is still working: wait for it.
// Older ones are from a writer that died between its two writes: finish them. Only one writer
// ever applies an entry while it lives, so FerretDB's non-atomic updates cannot apply it twice.
constexpr auto kStaleAfter = std::chrono::seconds(10);
constexpr auto kWaitStep = std::chrono::milliseconds(5);

// Thrown inside a worker when another live writer holds the user's next entry.
struct WriterBusy {};

db::Doc id_filter(const std::string& id) {
  db::Doc f;
  f.append("_id", id);
  return f;
}

db::Doc user_filter(const db::Oid& id) {
  db::Doc f;
  f.append("_id", id);
  return f;
}

EntryKind kind_from(std::string_view s) {
  for (auto k : {EntryKind::initial, EntryKind::credit, EntryKind::debit, EntryKind::set,
                 EntryKind::charge, EntryKind::usage, EntryKind::refund}) {
    if (to_string(k) == s) {
      return k;
    }
  }
  return EntryKind::credit;
}

Entry from_doc(const db::Doc& d) {
  Entry e;
  e.id = d.get_string("_id").value_or("");
  e.user_id = d.get_oid("user_id").value_or(db::Oid{});
  e.seq = d.get_int64("seq").value_or(0);
  e.kind = kind_from(d.get_string("kind").value_or(""));
  e.amount = core::Micros(d.get_int64("amount_micros").value_or(0));
  e.balance_after = core::Micros(d.get_int64("balance_after_micros").value_or(0));
  e.reason = d.get_string("reason").value_or("");
  e.actor_id = d.get_string("actor_id").value_or("");
  e.actor_email = d.get_string("actor_email").value_or("");
  e.pod_id = d.get_string("pod_id").value_or("");
  e.ts = d.get_time("ts").value_or(core::TimePoint{});
  e.applied = d.get_bool("applied").value_or(false);
  e.usage = core::Micros(d.get_int64("usage_micros").value_or(0));
  e.day = d.get_string("day").value_or("");
  return e;
}

db::Doc to_doc(const Entry& e) {
  db::Doc d;
  d.append("_id", e.id)
      .append("user_id", e.user_id)
      .append("seq", e.seq)
      .append("kind", to_string(e.kind))
      .append("amount_micros", e.amount.value())
      .append("balance_after_micros", e.balance_after.value())
      .append("reason", e.reason)
      .append("actor_id", e.actor_id)
      .append("actor_email", e.actor_email)
      .append("pod_id", e.pod_id)
      .append("ts", e.ts)
      .append("applied", e.applied)
      .append("usage_micros", e.usage.value())
      .append("day", e.day);
  return d;
}

struct UserLedgerState {
  core::Micros balance;
  std::int64_t seq = 0;
};

std::optional<UserLedgerState> read_user(db::Conn& c, const db::Oid& user) {
  auto doc = c.collection(db::collections::kUser).find_one(user_filter(user));
  if (!doc) {
    return std::nullopt;
  }
  return UserLedgerState{core::Micros(doc->get_int64("balance_micros").value_or(0)),
                         doc->get_int64("ledger_seq").value_or(0)};
}

// The entry for `change` as the user's next one, from the user's state before it.
Entry entry_of(const db::Oid& user, const Change& change, const UserLedgerState& before,
               core::TimePoint now) {
  Entry e;
  e.id = change.id;
  e.user_id = user;
  e.seq = before.seq + 1;
  e.kind = change.kind;
  e.amount = change.amount;
  e.balance_after = before.balance + change.amount;
  e.reason = change.reason;
  e.actor_id = change.actor_id;
  e.actor_email = change.actor_email;
  e.pod_id = change.pod_id;
  e.ts = now;
  e.usage = change.usage;
  e.day = change.day;
  return e;
}

void mark_applied(db::Conn& c, const std::string& id) {
  db::Doc set;
  set.append("applied", true);
  db::Doc change;
  change.append("$set", set);
  c.collection(db::collections::kTransaccion).update_one(id_filter(id), change);
}

// Steps 2 and 3 for an entry that is recorded. Safe to repeat.
void finish(db::Conn& c, Entry& e, core::TimePoint now) {
  auto state = read_user(c, e.user_id);
  if (!state) {
    throw core::NotFound("User");
  }
  if (state->seq == e.seq - 1) {
    db::Doc filter = user_filter(e.user_id);
    filter.append("ledger_seq", state->seq);
    db::Doc inc;
    inc.append("balance_micros", e.amount.value());
    db::Doc set;
    set.append("ledger_seq", e.seq).append("updated_at", now);
    db::Doc change;
    change.append("$inc", inc).append("$set", set);
    if (c.collection(db::collections::kUser).update_one(filter, change).matched == 0) {
      // Someone finished it meanwhile (recovery of a slow writer): fine if it is applied now.
      auto again = read_user(c, e.user_id);
      if (!again || again->seq < e.seq) {
        throw core::Conflict("The balance changed meanwhile, try again");
      }
    }
  } else if (state->seq < e.seq - 1) {
    log::error("billing.ledger_gap", {{"user_id", e.user_id.to_string()},
                                      {"entry", e.id},
                                      {"entry_seq", e.seq},
                                      {"user_seq", state->seq}});
    throw core::Error(core::ErrorCode::internal, "ledger sequence gap for a user");
  }
  mark_applied(c, e.id);
  e.applied = true;
}

// Finishes this user's unapplied entries, oldest first. Throws WriterBusy when one is fresh.
void finish_pending(db::Conn& c, const db::Oid& user, core::TimePoint now) {
  db::Doc filter;
  filter.append("user_id", user).append("applied", false);
  db::FindOptions options;
  db::Doc sort;
  sort.append("seq", std::int32_t{1});
  options.sort = sort;
  for (const auto& d : c.collection(db::collections::kTransaccion).find(filter, options)) {
    auto e = from_doc(d);
    if (now - e.ts < kStaleAfter) {
      throw WriterBusy{};
    }
    finish(c, e, now);
  }
}

// Runs `step` until no other live writer is in the way (bounded by kStaleAfter plus a margin).
template <typename Step>
auto patiently(Step&& step) {
  const auto deadline = std::chrono::steady_clock::now() + kStaleAfter + std::chrono::seconds(2);
  for (;;) {
    try {
      return step();
    } catch (const WriterBusy&) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw core::Conflict("The balance is being changed elsewhere, try again");
      }
      std::this_thread::sleep_for(kWaitStep);
    }
  }
}

}  // namespace

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::initial: return "initial";
    case EntryKind::credit: return "credit";
    case EntryKind::debit: return "debit";
    case EntryKind::set: return "set";
    case EntryKind::charge: return "charge";
    case EntryKind::usage: return "usage";
    case EntryKind::refund: return "refund";
  }
  return "credit";
}

nlohmann::json to_json(const Entry& e) {
  nlohmann::json j = {{"id", e.id},
                      {"user_id", e.user_id.to_string()},
                      {"seq", e.seq},
                      {"kind", to_string(e.kind)},
                      {"amount_micros", e.amount.value()},
                      {"balance_after_micros", e.balance_after.value()},
                      {"reason", e.reason},
                      {"actor_email", e.actor_email},
                      {"usage_micros", e.usage.value()},
                      {"ts", core::to_iso8601(e.ts)}};
  j["pod_id"] = e.pod_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.pod_id);
  return j;
}

struct Ledger::Impl {
  Impl(db::Database& d, const core::Clock& c) : db(d), clock(c) {}
  db::Database& db;
  const core::Clock& clock;
  std::mutex locks_mu;
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> locks;

  std::shared_ptr<std::mutex> lock_for(const db::Oid& user) {
    std::lock_guard g(locks_mu);
    auto& m = locks[user.to_string()];
    if (!m) {
      m = std::make_shared<std::mutex>();
    }
    return m;
  }

  // Runs on a database worker thread, holding the user's lock. `created` (optional) tells whether
  // the entry is new (false: the id existed already).
  Entry apply_locked(db::Conn& c, const db::Oid& user, Change change,
                     std::optional<core::Micros> target, bool* created = nullptr) {
    return patiently([&] { return apply_once(c, user, change, target, created); });
  }

  Entry apply_once(db::Conn& c, const db::Oid& user, Change& change,
                   std::optional<core::Micros> target, bool* created) {
    const auto now = clock.now();
    auto txs = c.collection(db::collections::kTransaccion);
    if (created != nullptr) {
      *created = false;
    }
    if (!change.id.empty()) {
      if (auto existing = txs.find_one(id_filter(change.id))) {
        auto e = from_doc(*existing);
        if (e.applied) {
          return e;
        }
        finish_pending(c, user, now);  // WriterBusy while its writer still works
        // Finished now, unless its batch writer took it back meanwhile (apply_many): then it
        // was never applied and this change goes in as a new entry below.
        if (auto again = txs.find_one(id_filter(change.id))) {
          e = from_doc(*again);
          if (!e.applied) {
            throw WriterBusy{};
          }
          return e;
        }
      }
    } else {
      change.id = "tx_" + core::random_hex(12);
    }
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      finish_pending(c, user, now);
      auto state = read_user(c, user);
      if (!state) {
        throw core::NotFound("User");
      }
      Entry e = entry_of(user, change, *state, now);
      if (target) {
        e.amount = *target - state->balance;
        e.balance_after = *target;
      }
      try {
        txs.insert_one(to_doc(e));
      } catch (const db::DuplicateKey&) {
        if (auto existing = txs.find_one(id_filter(change.id))) {  // same id: another writer
          auto other = from_doc(*existing);
          if (!other.applied) {
            throw WriterBusy{};  // let its writer finish, then return it
          }
          return other;
        }
        continue;  // another writer took this sequence number: read again
      }
      finish(c, e, now);
      if (created != nullptr) {
        *created = true;
      }
      return e;
    }
    throw core::Conflict("The balance is changing too often, try again");
  }

  // One user's part of a batch.
  struct Batch {
    db::Oid user;
    std::vector<std::size_t> items;  // indexes into the changes, in order
    std::shared_ptr<std::mutex> mu;
    std::unique_lock<std::mutex> lock;
    bool one_by_one = false;  // takes apply()'s path
    UserLedgerState state;
    std::vector<Entry> entries;  // inserted by the batch, in sequence order
    std::vector<std::size_t> entry_items;
    std::vector<bool> refused;  // per entry: the insert was refused
    bool any_refused = false;
  };

  // See the header comment: apply_many's steps 0-3, then apply()'s path for whatever is left.
  std::vector<Ledger::Applied> apply_many_sync(db::Conn& c,
                                               std::vector<std::pair<db::Oid, Change>>& changes) {
    const auto now = clock.now();
    const std::size_t n = changes.size();
    std::vector<Ledger::Applied> out(n);
    std::vector<bool> done(n, false);
    for (auto& item : changes) {
      if (item.second.id.empty()) {
        item.second.id = "tx_" + core::random_hex(12);
      }
    }
    std::vector<Batch> batches;
    {
      std::unordered_map<std::string, std::size_t> index;
      for (std::size_t i = 0; i < n; ++i) {
        auto [it, inserted] = index.try_emplace(changes[i].first.to_string(), batches.size());
        if (inserted) {
          batches.emplace_back();
          batches.back().user = changes[i].first;
        }
        batches[it->second].items.push_back(i);
      }
    }
    for (auto& b : batches) {
      b.mu = lock_for(b.user);
      b.lock = std::unique_lock(*b.mu, std::try_to_lock);
      b.one_by_one = !b.lock.owns_lock();  // another writer of this process: wait for it later
    }
    auto txs = c.collection(db::collections::kTransaccion);

    // 0. Ids recorded already: charged before (or being charged: that writer finishes it).
    {
      db::Array ids;
      for (const auto& item : changes) {
        ids.push(item.second.id);
      }
      db::Doc in;
      in.append("$in", ids);
      db::Doc filter;
      filter.append("_id", in);
      std::unordered_map<std::string, Entry> existing;
      for (const auto& d : txs.find(filter)) {
        auto e = from_doc(d);
        existing.emplace(e.id, std::move(e));
      }
      std::unordered_set<std::string> seen;
      for (auto& b : batches) {
        for (auto i : b.items) {
          const auto& id = changes[i].second.id;
          auto it = existing.find(id);
          if (it != existing.end()) {
            if (it->second.applied) {
              out[i].entry = it->second;
              done[i] = true;
            } else {
              b.one_by_one = true;
            }
          } else if (!seen.insert(id).second) {
            b.one_by_one = true;  // the same id twice in one batch
          }
        }
      }
    }

    // 1. The users that go in the batch: their balance and sequence number, and none of them
    // with unapplied entries (those wait for or finish them one by one).
    std::vector<Batch*> batched;
    for (auto& b : batches) {
      const bool pending =
          std::any_of(b.items.begin(), b.items.end(), [&done](std::size_t i) { return !done[i]; });
      if (!b.one_by_one && pending) {
        batched.push_back(&b);
      }
    }
    if (!batched.empty()) {
      db::Array users;
      for (const auto* b : batched) {
        users.push(b->user);
      }
      db::Doc in;
      in.append("$in", users);
      db::Doc filter;
      filter.append("_id", in);
      db::FindOptions options;
      db::Doc projection;
      projection.append("balance_micros", std::int32_t{1}).append("ledger_seq", std::int32_t{1});
      options.projection = projection;
      std::unordered_map<std::string, UserLedgerState> states;
      for (const auto& d : c.collection(db::collections::kUser).find(filter, options)) {
        states.emplace(d.get_oid("_id").value_or(db::Oid{}).to_string(),
                       UserLedgerState{core::Micros(d.get_int64("balance_micros").value_or(0)),
                                       d.get_int64("ledger_seq").value_or(0)});
      }
      db::Doc unapplied_filter;
      unapplied_filter.append("user_id", in).append("applied", false);
      db::FindOptions unapplied_options;
      db::Doc user_only;
      user_only.append("user_id", std::int32_t{1});
      unapplied_options.projection = user_only;
      std::unordered_set<std::string> busy;
      for (const auto& d : txs.find(unapplied_filter, unapplied_options)) {
        busy.insert(d.get_oid("user_id").value_or(db::Oid{}).to_string());
      }
      std::erase_if(batched, [&](Batch* b) {
        const auto key = b->user.to_string();
        auto it = states.find(key);
        if (it == states.end()) {
          for (auto i : b->items) {
            if (!done[i]) {
              out[i].error = core::NotFound("User").what();
              done[i] = true;
            }
          }
          return true;
        }
        if (busy.contains(key)) {
          b->one_by_one = true;
          return true;
        }
        b->state = it->second;
        return false;
      });
    }

    // 2. The entries, numbered from each user's ledger_seq, in one unordered insert.
    if (!batched.empty()) {
      auto bulk = txs.bulk();
      std::vector<std::pair<Batch*, std::size_t>> owner;  // per inserted document
      for (auto* b : batched) {
        UserLedgerState state = b->state;
        for (auto i : b->items) {
          if (done[i]) {
            continue;
          }
          Entry e = entry_of(b->user, changes[i].second, state, now);
          state.seq = e.seq;
          state.balance = e.balance_after;
          bulk.insert(to_doc(e));
          owner.emplace_back(b, b->entries.size());
          b->entries.push_back(std::move(e));
          b->entry_items.push_back(i);
          b->refused.push_back(false);
        }
      }
      const auto inserted = bulk.execute();
      for (const auto& err : inserted.errors) {
        if (err.index >= owner.size()) {
          continue;
        }
        auto [b, pos] = owner[err.index];
        if (!err.duplicate_key()) {
          log::warn("billing.batch_insert_refused",
                    {{"user_id", b->user.to_string()}, {"code", err.code}, {"error", err.message}});
        }
        b->refused[pos] = true;
        b->any_refused = true;
      }
      // Refused in part (another writer took a number, or the same id went in meanwhile): take
      // back what went in, never applied and fresh (nobody else applies it), then one by one.
      db::Array take_back;
      std::size_t taken = 0;
      for (auto* b : batched) {
        if (!b->any_refused) {
          continue;
        }
        for (std::size_t k = 0; k < b->entries.size(); ++k) {
          if (!b->refused[k]) {
            take_back.push(b->entries[k].id);
            ++taken;
          }
        }
        b->entries.clear();
        b->entry_items.clear();
        b->one_by_one = true;
      }
      if (taken > 0) {
        db::Doc in;
        in.append("$in", take_back);
        db::Doc filter;
        filter.append("_id", in).append("applied", false);
        txs.delete_many(filter);
      }
      std::erase_if(batched, [](Batch* b) { return b->one_by_one; });
    }

    // 3. Each user's balance and ledger_seq in one bulk write, conditional on the ledger_seq read.
    if (!batched.empty()) {
      auto users = c.collection(db::collections::kUser);
      auto bulk = users.bulk();
      for (auto* b : batched) {
        std::int64_t sum = 0;
        for (const auto& e : b->entries) {
          sum += e.amount.value();
        }
        db::Doc filter = user_filter(b->user);
        filter.append("ledger_seq", b->state.seq);
        db::Doc inc;
        inc.append("balance_micros", sum);
        db::Doc set;
        set.append("ledger_seq", b->entries.back().seq).append("updated_at", now);
        db::Doc change;
        change.append("$inc", inc).append("$set", set);
        bulk.update_one(filter, change);
      }
      const auto moved = bulk.execute();
      if (moved.matched != static_cast<std::int64_t>(batched.size()) || !moved.errors.empty()) {
        // Not expected (nobody else can apply past our numbers): each entry then takes finish(),
        // which applies what is not applied yet and reports a real problem.
        log::warn("billing.batch_balance_mismatch",
                  {{"users", batched.size()}, {"matched", moved.matched}});
        for (auto* b : batched) {
          try {
            for (auto& e : b->entries) {
              finish(c, e, now);
            }
          } catch (const std::exception& ex) {
            for (auto i : b->entry_items) {
              out[i].error = ex.what();
              done[i] = true;
            }
            b->entries.clear();  // left unapplied: recover() finishes them
          }
        }
      }
      db::Array ids;
      std::size_t count = 0;
      for (auto* b : batched) {
        for (std::size_t k = 0; k < b->entries.size(); ++k) {
          ids.push(b->entries[k].id);
          ++count;
        }
      }
      if (count > 0) {
        db::Doc in;
        in.append("$in", ids);
        db::Doc filter;
        filter.append("_id", in);
        db::Doc set;
        set.append("applied", true);
        db::Doc change;
        change.append("$set", set);
        txs.update_many(filter, change);
      }
      for (auto* b : batched) {
        for (std::size_t k = 0; k < b->entries.size(); ++k) {
          const auto i = b->entry_items[k];
          b->entries[k].applied = true;
          out[i].entry = std::move(b->entries[k]);
          out[i].created = true;
          done[i] = true;
        }
      }
    }
    for (auto& b : batches) {
      if (b.lock.owns_lock()) {
        b.lock.unlock();
      }
    }

    // 4. The rest, one by one (waiting for this process's other writers of the user).
    for (auto& b : batches) {
      for (auto i : b.items) {
        if (done[i]) {
          continue;
        }
        try {
          std::lock_guard g(*b.mu);
          bool created = false;
          out[i].entry = apply_locked(c, b.user, changes[i].second, std::nullopt, &created);
          out[i].created = created;
        } catch (const std::exception& ex) {
          out[i].error = ex.what();
        }
        done[i] = true;
      }
    }
    return out;
  }
};

Ledger::Ledger(db::Database& db, const core::Clock& clock)
    : impl_(std::make_unique<Impl>(db, clock)) {}

Ledger::~Ledger() = default;

// The closures passed to db.run capture only pointers and references: a closure with a
// non-trivial member (a shared_ptr) inside a co_await expression is destroyed twice by g++ 12.
// `lock` keeps the mutex alive in the coroutine frame.
boost::asio::awaitable<Entry> Ledger::apply(db::Oid user_id, Change change) {
  const auto lock = impl_->lock_for(user_id);
  std::mutex* mu = lock.get();
  Impl* impl = impl_.get();
  co_return co_await impl_->db.run([impl, mu, &user_id, &change](db::Conn& c) {
    std::lock_guard g(*mu);
    return impl->apply_locked(c, user_id, std::move(change), std::nullopt);
  });
}

boost::asio::awaitable<Entry> Ledger::set_balance(db::Oid user_id, core::Micros target,
                                                  Change change) {
  const auto lock = impl_->lock_for(user_id);
  std::mutex* mu = lock.get();
  Impl* impl = impl_.get();
  change.kind = EntryKind::set;
  co_return co_await impl_->db.run([impl, mu, &user_id, &change, target](db::Conn& c) {
    std::lock_guard g(*mu);
    return impl->apply_locked(c, user_id, std::move(change), target);
  });
}

boost::asio::awaitable<std::vector<Ledger::Applied>> Ledger::apply_many(
    std::vector<std::pair<db::Oid, Change>> changes) {
  if (changes.empty()) {
    co_return std::vector<Applied>();
  }
  Impl* impl = impl_.get();
  co_return co_await impl_->db.run(
      [impl, &changes](db::Conn& c) { return impl->apply_many_sync(c, changes); });
}

boost::asio::awaitable<Ledger::Page> Ledger::list(db::Oid user_id, std::int64_t limit,
                                                  std::optional<std::int64_t> before_seq) {
  db::Doc filter;
  filter.append("user_id", user_id);
  if (before_seq) {
    db::Doc lt;
    lt.append("$lt", *before_seq);
    filter.append("seq", lt);
  }
  db::FindOptions options;
  db::Doc sort;
  sort.append("seq", std::int32_t{-1});
  options.sort = sort;
  options.limit = limit + 1;
  auto docs = co_await impl_->db.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kTransaccion).find(filter, options);
  });
  Page page;
  for (const auto& d : docs) {
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.next_before_seq = page.items.back().seq;
      break;
    }
    page.items.push_back(from_doc(d));
  }
  co_return page;
}

boost::asio::awaitable<std::int64_t> Ledger::recover() {
  db::Doc filter;
  filter.append("applied", false);
  auto pending = co_await impl_->db.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kTransaccion).find(filter); });
  std::int64_t finished = 0;
  for (const auto& d : pending) {
    auto e = from_doc(d);
    const auto lock = impl_->lock_for(e.user_id);
    std::mutex* mu = lock.get();
    Impl* impl = impl_.get();
    co_await impl_->db.run([impl, mu, &e](db::Conn& c) {
      std::lock_guard g(*mu);
      try {
        finish_pending(c, e.user_id, impl->clock.now());
      } catch (const WriterBusy&) {
        // A live writer: the periodic recovery looks again later.
      }
    });
    ++finished;
  }
  if (finished > 0) {
    log::warn("billing.ledger_recovered", {{"entries", finished}});
  }
  co_return finished;
}

}  // namespace neuropod::billing
