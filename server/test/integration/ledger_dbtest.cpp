// The ledger against the real database: exact balances, idempotent ids, two "instances" writing
// at once, and recovery of an entry recorded before a crash.
#include "billing/ledger.hpp"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"
#include "users/user_store.hpp"

namespace billing = neuropod::billing;
namespace core = neuropod::core;
namespace db = neuropod::db;
using neuropod::test::database;
using neuropod::test::run;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database().run_sync([](db::Conn& c) { db::ensure_schema(c); });
    static int n = 0;
    user_ = run(users_.create({.google_id = {},
                               .email = "ledger" + std::to_string(++n) + "." +
                                        std::to_string(::getpid()) + "@example.com"}))
                .id;
  }

  std::int64_t balance() { return run(users_.find_by_id(user_))->balance.value(); }

  static billing::Change credit(std::int64_t micros, std::string id = {}) {
    return billing::Change{
        .id = std::move(id),
        .kind = micros >= 0 ? billing::EntryKind::credit : billing::EntryKind::debit,
        .amount = core::Micros(micros),
        .reason = "test",
        .actor_id = {},
        .actor_email = {},
        .pod_id = {}};
  }

  core::SystemClock clock_;
  neuropod::users::UserStore users_{database(), clock_};
  billing::Ledger ledger_{database(), clock_};
  db::Oid user_;
};

TEST_F(LedgerTest, EntriesChangeTheBalanceExactlyAndInOrder) {
  auto a = run(ledger_.apply(user_, credit(10'000'000)));
  auto b = run(ledger_.apply(user_, credit(-1'234'567)));
  auto c = run(ledger_.set_balance(user_, core::Micros(5'000'000), credit(0)));
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(b.seq, 2);
  EXPECT_EQ(c.seq, 3);
  EXPECT_EQ(b.balance_after.value(), 8'765'433);
  EXPECT_EQ(c.amount.value(), 5'000'000 - 8'765'433);
  EXPECT_EQ(c.kind, billing::EntryKind::set);
  EXPECT_EQ(balance(), 5'000'000);
  auto page = run(ledger_.list(user_, 2, std::nullopt));
  ASSERT_EQ(page.items.size(), 2U);
  EXPECT_EQ(page.items[0].seq, 3);
  ASSERT_TRUE(page.next_before_seq.has_value());
  auto rest = run(ledger_.list(user_, 2, page.next_before_seq));
  ASSERT_EQ(rest.items.size(), 1U);
  EXPECT_EQ(rest.items[0].seq, 1);
  EXPECT_FALSE(rest.next_before_seq.has_value());
}

TEST_F(LedgerTest, TheSameIdIsTheSameEntry) {
  const auto id = "charge:pod-x:" + user_.to_string() + ":0001";
  auto first = run(ledger_.apply(user_, credit(-100, id)));
  auto again = run(ledger_.apply(user_, credit(-100, id)));
  EXPECT_EQ(first.seq, again.seq);
  EXPECT_EQ(balance(), -100);
}

TEST_F(LedgerTest, UnknownUsersAreNotFound) {
  EXPECT_THROW(run(ledger_.apply(db::Oid::generate(), credit(1))), core::NotFound);
}

TEST_F(LedgerTest, TwoInstancesWritingAtOnceLoseNothing) {
  billing::Ledger other{database(), clock_};  // a second backend: its own in-process locks
  constexpr int kPerThread = 15;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto& ledger = t % 2 == 0 ? ledger_ : other;
      for (int i = 0; i < kPerThread; ++i) {
        run(ledger.apply(user_, credit(t + 1)));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(balance(), kPerThread * (1 + 2 + 3 + 4));
  auto page = run(ledger_.list(user_, 1000, std::nullopt));
  ASSERT_EQ(page.items.size(), 4U * kPerThread);
  std::set<std::int64_t> seqs;
  for (const auto& e : page.items) {
    seqs.insert(e.seq);
    EXPECT_TRUE(e.applied);
  }
  EXPECT_EQ(seqs.size(), 4U * kPerThread);
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 4 * kPerThread) << "no gaps";
}

TEST_F(LedgerTest, AnEntryRecordedBeforeACrashIsAppliedOnceByRecovery) {
  run(ledger_.apply(user_, credit(1000)));
  // The crash: step 1 (the entry) happened, step 2 (the balance) did not.
  db::Doc orphan;
  orphan.append("_id", "crashed-" + user_.to_string())
      .append("user_id", user_)
      .append("seq", std::int64_t{2})
      .append("kind", "charge")
      .append("amount_micros", std::int64_t{-300})
      .append("balance_after_micros", std::int64_t{700})
      .append("reason", "charge before crash")
      .append("ts", clock_.now() - std::chrono::minutes(1))  // its writer is long gone
      .append("applied", false);
  database().run_sync(
      [&orphan](db::Conn& c) { c.collection(db::collections::kTransaccion).insert_one(orphan); });
  EXPECT_EQ(balance(), 1000);
  EXPECT_GE(run(ledger_.recover()), 1);
  EXPECT_EQ(balance(), 700);
  run(ledger_.recover());
  EXPECT_EQ(balance(), 700) << "idempotent";
  // And the next write after a crash finishes it first rather than skipping a number.
  auto next = run(ledger_.apply(user_, credit(50)));
  EXPECT_EQ(next.seq, 3);
  EXPECT_EQ(balance(), 750);
}

TEST_F(LedgerTest, ApplyManyChargesManyUsersAtOnceAndSkipsWhatExists) {
  std::vector<db::Oid> people = {user_};
  for (int i = 0; i < 4; ++i) {
    people.push_back(run(users_.create({.google_id = {},
                                        .email = "batch" + std::to_string(i) + "." +
                                                 neuropod::core::random_hex(4) + "@example.com"}))
                         .id);
  }
  run(ledger_.apply(people[1], credit(1'000, "credit-before-batch-" + people[1].to_string())));
  std::vector<std::pair<db::Oid, billing::Change>> changes;
  for (int k = 0; k < 6; ++k) {
    for (std::size_t u = 0; u < people.size(); ++u) {
      changes.emplace_back(people[u], credit(-(k + 1) * 10, "batch:" + people[u].to_string() + ":" +
                                                                std::to_string(k)));
    }
  }
  changes.emplace_back(db::Oid::generate(), credit(-1, "batch:nobody"));  // unknown user
  const auto first = run(ledger_.apply_many(changes));
  ASSERT_EQ(first.size(), changes.size());
  for (std::size_t i = 0; i + 1 < first.size(); ++i) {
    ASSERT_TRUE(first[i].entry.has_value()) << first[i].error;
    EXPECT_TRUE(first[i].created);
    EXPECT_TRUE(first[i].entry->applied);
  }
  EXPECT_FALSE(first.back().entry.has_value());
  EXPECT_NE(first.back().error.find("not found"), std::string::npos);
  // Each user's entries numbered in order after what they had, balances exact.
  EXPECT_EQ(first[0].entry->seq, 1);
  EXPECT_EQ(first[1].entry->seq, 2) << "after the credit";
  EXPECT_EQ(first[5 * 5].entry->seq, 6);
  EXPECT_EQ(first[5 * 5].entry->balance_after.value(), -210);
  EXPECT_EQ(balance(), -210);
  EXPECT_EQ(run(users_.find_by_id(people[1]))->balance.value(), 1'000 - 210);

  // Again, plus new ones: the known ids are returned as they are, the new ones go in after them.
  changes.pop_back();
  changes.emplace_back(people[2], credit(-5, "batch:new"));
  const auto again = run(ledger_.apply_many(changes));
  for (std::size_t i = 0; i + 1 < again.size(); ++i) {
    ASSERT_TRUE(again[i].entry.has_value());
    EXPECT_FALSE(again[i].created);
    EXPECT_EQ(again[i].entry->seq, first[i].entry->seq);
  }
  ASSERT_TRUE(again.back().created);
  EXPECT_EQ(again.back().entry->seq, 7);
  EXPECT_EQ(run(users_.find_by_id(people[2]))->balance.value(), -215);
}

TEST_F(LedgerTest, ApplyManyBesideAnotherWriterLosesNothing) {
  billing::Ledger other{database(), clock_};  // a second backend writing the same user meanwhile
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      run(other.apply(user_, credit(1'000)));
    }
  });
  std::int64_t charged = 0;
  for (int round = 0; round < 10; ++round) {
    std::vector<std::pair<db::Oid, billing::Change>> changes;
    for (int k = 0; k < 3; ++k) {
      changes.emplace_back(user_, credit(-7, "race:" + user_.to_string() + ":" +
                                                 std::to_string(round) + ":" + std::to_string(k)));
      charged += 7;
    }
    for (const auto& r : run(ledger_.apply_many(changes))) {
      ASSERT_TRUE(r.entry.has_value()) << r.error;
    }
  }
  writer.join();
  EXPECT_EQ(balance(), 20 * 1'000 - charged);
  auto page = run(ledger_.list(user_, 1000, std::nullopt));
  ASSERT_EQ(page.items.size(), 20U + 30U);
  std::set<std::int64_t> seqs;
  for (const auto& e : page.items) {
    seqs.insert(e.seq);
    EXPECT_TRUE(e.applied);
  }
  EXPECT_EQ(seqs.size(), 50U);
  EXPECT_EQ(*seqs.rbegin(), 50) << "no gaps";
}
