#include "users/user_store.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"

namespace users = neuropod::users;
namespace core = neuropod::core;
using neuropod::test::database;
using neuropod::test::run;

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database().run_sync([](neuropod::db::Conn& c) { neuropod::db::ensure_schema(c); });
  }
  core::SystemClock clock_;
  users::UserStore store_{database(), clock_};
};

TEST_F(UserStoreTest, NewUsersStartAtZeroOnAnEmptyLedger) {
  auto u = run(store_.create({.google_id = "g-1", .email = "ana@example.com", .name = "Ana"}));
  EXPECT_EQ(u.balance, core::Micros(0));
  auto again = run(store_.find_by_id(u.id));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->balance.value(), 0);
  EXPECT_EQ(again->ledger_seq, 0);
  EXPECT_EQ(again->role, users::Role::client);
  EXPECT_FALSE(again->blocked);
  EXPECT_EQ(again->name, "Ana");
}

TEST_F(UserStoreTest, AdminsStartAtZeroBecauseTheyAreNeverLimited) {
  auto u = run(store_.create(
      {.google_id = "g-admin", .email = "boss@example.com", .role = users::Role::admin}));
  EXPECT_EQ(u.balance, core::Micros(0));
}

TEST_F(UserStoreTest, EmailIsNormalizedAndUnique) {
  auto u = run(store_.create({.google_id = "g-2", .email = "  Bob@Example.COM "}));
  EXPECT_EQ(u.email, "bob@example.com");
  EXPECT_THROW(run(store_.create({.google_id = "g-3", .email = "bob@example.com"})),
               users::EmailTaken);
  EXPECT_THROW(run(store_.create({.google_id = "g-4", .email = "BOB@example.com"})),
               users::EmailTaken);
  auto found = run(store_.find_by_email("BOB@EXAMPLE.com"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, u.id);
  const auto count = database().run_sync([](neuropod::db::Conn& c) {
    neuropod::db::Doc f;
    f.append("email", "bob@example.com");
    return c.collection("User").count(f);
  });
  EXPECT_EQ(count, 1);
}

TEST_F(UserStoreTest, InvalidEmailIsAValidationError) {
  for (const char* bad : {"", "no-at", "@x.com", "a@", "a b@c.d", "a@b@c"}) {
    EXPECT_THROW(run(store_.create({.google_id = std::string("bad-") + bad, .email = bad})),
                 core::ValidationError)
        << bad;
  }
}

TEST_F(UserStoreTest, OperatorLookingInputIsJustAString) {
  // A value that looks like a query operator is stored and matched as a plain string.
  EXPECT_THROW(run(store_.find_by_email(R"({"$ne": null})")), core::ValidationError);
  auto none = run(store_.find_by_id(neuropod::db::Oid::generate()));
  EXPECT_FALSE(none.has_value());
}
