// AuthService and SessionStore against the real database, with a manual clock: sign-in creates
// or updates users, sessions expire and are purged, revocation and blocking bite.
#include "auth/auth_service.hpp"

#include <gtest/gtest.h>

#include "audit/audit_log.hpp"
#include "auth/session_store.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"

namespace auth = neuropod::auth;
namespace core = neuropod::core;
namespace db = neuropod::db;
namespace users = neuropod::users;
using neuropod::test::database;
using neuropod::test::run;
using namespace std::chrono_literals;

namespace {

core::Config test_config() {
  auto c = core::Config::from_env({{"NEUROPOD_ENV", "test"},
                                   {"ADMIN_EMAILS", "root@example.com"},
                                   {"NEUROPOD_SESSION_TTL_HOURS", "2"},
                                   {"NEUROPOD_SESSION_CACHE_MS", "5000"}});
  return c;
}

std::string unique_email(const std::string& label) {
  static int n = 0;
  return label + "." + std::to_string(++n) + "." + core::random_hex(4) + "@example.com";
}

template <typename F>
core::ErrorCode error_code_of(F&& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no core::Error thrown";
  return core::ErrorCode::internal;
}

std::string reason_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.details().value("reason", std::string(e.what()));
  }
  return "no error";
}

}  // namespace

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database().run_sync([](db::Conn& c) { db::ensure_schema(c); });
  }

  auth::SignedIn sign_in(const std::string& email, const std::string& google_id = {}) {
    return run(service_.sign_in(
        auth::Identity{.google_id = google_id,
                       .email = email,
                       .name = {},
                       .avatar_url = {},
                       .method = google_id.empty() ? "dev" : "google"},
        neuropod::audit::Actor{.user_id = {}, .email = {}, .ip = "10.0.0.1", .user_agent = "t"}));
  }

  core::Config config_ = test_config();
  core::ManualClock clock_{std::chrono::system_clock::now()};
  users::UserStore users_{database(), clock_};
  auth::SessionStore sessions_{database(), clock_};
  neuropod::audit::AuditLog audit_{database(), clock_};
  neuropod::billing::Ledger ledger_{database(), clock_};
  neuropod::catalog::Catalog catalog_{database(), clock_, core::Micros::from_eur(10)};
  auth::AuthService service_{config_, clock_, users_, sessions_, audit_, ledger_, catalog_};
};

TEST_F(AuthServiceTest, FirstSignInCreatesAClientWithTheInitialBalance) {
  const auto email = unique_email("new");
  auto s = sign_in(email, "google-sub-1" + email);
  EXPECT_EQ(s.user.email, email);
  EXPECT_EQ(s.user.role, users::Role::client);
  EXPECT_EQ(s.user.balance, core::Micros::from_eur(10));
  EXPECT_EQ(s.session.expires_at - s.session.created_at, std::chrono::hours(2));
  auto p = run(service_.authenticate(s.token, "10.0.0.2"));
  EXPECT_EQ(p.user_id, s.user.id.to_string());
  EXPECT_EQ(p.session_id, s.session.id.to_string());
  EXPECT_FALSE(p.admin);
}

TEST_F(AuthServiceTest, AdminEmailsAreAdminsAndExistingUsersAreLinkedByEmail) {
  auto first = sign_in("root@example.com");
  EXPECT_EQ(first.user.role, users::Role::admin);
  auto second = sign_in("ROOT@example.com", "google-root");
  EXPECT_EQ(second.user.id, first.user.id) << "the dev-login user is linked to the Google id";
  EXPECT_EQ(second.user.google_id, "google-root");
  EXPECT_TRUE(run(service_.authenticate(second.token, "")).admin);
}

TEST_F(AuthServiceTest, SessionsExpireAndArePurged) {
  auto s = sign_in(unique_email("expiry"));
  clock_.advance(std::chrono::duration_cast<std::chrono::milliseconds>(2h + 1s));
  EXPECT_EQ(reason_of([&] { run(service_.authenticate(s.token, "")); }), "expired");
  EXPECT_GE(run(sessions_.purge_expired()), 1);
  EXPECT_FALSE(run(sessions_.find(s.session.id)).has_value());
  EXPECT_EQ(run(sessions_.purge_expired()), 0) << "idempotent";
}

TEST_F(AuthServiceTest, RevocationBitesAtOnceHereAndWithinTheCacheTimeElsewhere) {
  auto s = sign_in(unique_email("revoke"));
  auth::AuthService other_instance{config_, clock_, users_, sessions_, audit_, ledger_, catalog_};
  const auto who = run(service_.authenticate(s.token, ""));
  run(other_instance.authenticate(s.token, ""));  // cached there now

  run(service_.revoke(s.session.id, who, {}));
  EXPECT_EQ(reason_of([&] { run(service_.authenticate(s.token, "")); }), "revoked");
  // The other instance trusts its cache for at most NEUROPOD_SESSION_CACHE_MS.
  EXPECT_NO_THROW(run(other_instance.authenticate(s.token, "")));
  clock_.advance(5001ms);
  EXPECT_EQ(reason_of([&] { run(other_instance.authenticate(s.token, "")); }), "revoked");
}

TEST_F(AuthServiceTest, BlockedUsersAreRefusedAtSignInAndMidSession) {
  const auto email = unique_email("blocked");
  auto s = sign_in(email);
  auto admin = sign_in("root@example.com");
  const auto admin_actor = neuropod::audit::Actor{
      .user_id = admin.user.id.to_string(), .email = admin.user.email, .ip = "", .user_agent = ""};
  auto other = sign_in(email);
  // The block ends every session at once.
  run(service_.set_blocked(s.user.id, true, admin_actor));
  EXPECT_TRUE(run(users_.find_by_id(s.user.id))->blocked);
  EXPECT_TRUE(run(sessions_.list_for_user(s.user.id)).empty());
  EXPECT_EQ(error_code_of([&] { sign_in(email); }), core::ErrorCode::account_blocked);
  EXPECT_EQ(reason_of([&] { run(service_.authenticate(other.token, "")); }), "revoked");

  // A session created by a racing instance after the block still meets the blocked flag.
  auto raced = run(sessions_.create({.user_id = s.user.id,
                                     .method = "dev",
                                     .ip = "",
                                     .user_agent = "",
                                     .ttl = std::chrono::hours(1)}));
  const auto token = service_.keyring().sign(
      {{"sid", raced.id.to_string()},
       {"sub", s.user.id.to_string()},
       {"exp",
        std::chrono::duration_cast<std::chrono::seconds>((clock_.now() + 1h).time_since_epoch())
            .count()}});
  EXPECT_EQ(error_code_of([&] { run(service_.authenticate(token, "")); }),
            core::ErrorCode::account_blocked);

  run(service_.set_blocked(s.user.id, false, admin_actor));
  EXPECT_NO_THROW(run(service_.authenticate(token, "")));
  EXPECT_EQ(error_code_of([&] { run(service_.set_blocked(admin.user.id, true, admin_actor)); }),
            core::ErrorCode::conflict);
}

TEST_F(AuthServiceTest, ClientsCanOnlyRevokeTheirOwnSessions) {
  auto mine = sign_in(unique_email("owner"));
  auto theirs = sign_in(unique_email("stranger"));
  const auto me = run(service_.authenticate(mine.token, ""));
  EXPECT_EQ(error_code_of([&] { run(service_.revoke(theirs.session.id, me, {})); }),
            core::ErrorCode::not_found);
  EXPECT_TRUE(run(sessions_.find(theirs.session.id)).has_value());
}

TEST_F(AuthServiceTest, TokensThatAreNotOursAreInvalid) {
  EXPECT_EQ(reason_of([&] { run(service_.authenticate("", "")); }), "missing");
  EXPECT_EQ(reason_of([&] { run(service_.authenticate("a.b.c", "")); }), "invalid");
  neuropod::crypto::HmacKeyring foreign({{"dev", std::string(48, 'x')}});
  const auto forged = foreign.sign({{"sid", db::Oid::generate().to_string()}, {"exp", 4102444800}});
  EXPECT_EQ(reason_of([&] { run(service_.authenticate(forged, "")); }), "invalid");
  // Signed by us but naming no session (e.g. the OAuth state cookie).
  const auto state = service_.keyring().sign({{"typ", "oauth"}, {"exp", 4102444800}});
  EXPECT_EQ(reason_of([&] { run(service_.authenticate(state, "")); }), "invalid");
}
