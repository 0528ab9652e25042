// The ledger against the real database: exact balances, idempotent ids, two "instances" writing
// at once, and recovery of an entry recorded before a crash.
#include "billing/ledger.hpp"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/errors.hpp"
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
