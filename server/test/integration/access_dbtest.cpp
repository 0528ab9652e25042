// PodAccess (who may open a pod's URLs) against the real database, with a manual clock: the
// ingress check, sign-in tickets exchanged for a per-host cookie, each sharing level, share links
// that expire and are revoked, blocked and signed-out users; ActivityRecorder's batched writes.
#include "access/pod_access.hpp"

#include <gtest/gtest.h>

#include "access/activity.hpp"
#include "audit/audit_log.hpp"
#include "auth/session_store.hpp"
#include "catalog/catalog.hpp"
#include "core/errors.hpp"
#include "core/event_bus.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"
#include "pods/pod_store.hpp"

namespace pa = neuropod::access;
namespace auth = neuropod::auth;
namespace core = neuropod::core;
namespace db = neuropod::db;
namespace http = neuropod::http;
namespace pods = neuropod::pods;
namespace users = neuropod::users;
using neuropod::test::database;
using neuropod::test::run;
using namespace std::chrono_literals;

namespace {

core::Config test_config() {
  return core::Config::from_env({{"NEUROPOD_ENV", "test"},
                                 {"ADMIN_EMAILS", "root-access@example.com"},
                                 {"APP_ORIGIN", "https://app.neuropod.test"}});
}

std::string unique(const std::string& label) {
  return label + "-" + core::random_hex(4);
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

// "neuropod_pod=<value>; Path=/; ..." -> <value>
std::string cookie_value(const std::optional<std::string>& set_cookie) {
  EXPECT_TRUE(set_cookie.has_value());
  if (!set_cookie) {
    return {};
  }
  const auto eq = set_cookie->find('=');
  const auto semi = set_cookie->find(';');
  return set_cookie->substr(eq + 1, semi - eq - 1);
}

std::string query_param(const std::string& url, const std::string& name) {
  const auto at = url.find(name + "=");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + name.size() + 1;
  return url.substr(start, url.find('&', start) - start);
}

}  // namespace

class PodAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database().run_sync([](db::Conn& c) { db::ensure_schema(c); });
  }

  struct Person {
    users::User user;
    std::string token;
    http::Principal principal;
  };

  Person person(const std::string& email) {
    auto s = run(auth_.sign_in(
        auth::Identity{
            .google_id = {}, .email = email, .name = {}, .avatar_url = {}, .method = "dev"},
        neuropod::audit::Actor{.user_id = {}, .email = {}, .ip = "10.0.0.1", .user_agent = "t"}));
    auto p = run(auth_.authenticate(s.token, ""));
    return Person{s.user, s.token, p};
  }

  pods::Pod pod_of(const Person& owner) {
    pods::Pod p;
    p.id = db::Oid::generate();
    p.user_id = owner.user.id;
    p.user_email = owner.user.email;
    p.name = unique("lab");
    p.name_key = p.name;
    p.image = "example/lab:1";
    p.ports = {neuropod::catalog::Port{.port = 8888, .name = "web", .protocol = "http"}};
    p.urls = {pods::PodUrl{8888, "web", "http", "https://" + p.name + "-x1-8888.neuropod.test"}};
    p.created_at = p.updated_at = clock_.now();
    run(store_.insert(p));
    return p;
  }

  static std::string host_of(const pods::Pod& p) { return pods::hosts_of(p).front(); }

  pods::Actor actor(const Person& p) {
    return pods::Actor{p.user.id, p.user.email, p.principal.admin};
  }

  // Signs in through the ingress flow: signin -> ticket -> cookie. Returns the cookie's value.
  std::string open_as(const Person& who, const pods::Pod& pod, const std::string& path = "/") {
    const auto to = run(access_.signin(who.principal, "https://" + host_of(pod) + path));
    EXPECT_TRUE(to.location.starts_with("https://" + host_of(pod) + "/.neuropod/callback?ticket="))
        << to.location;
    const auto back =
        run(access_.redeem_ticket(host_of(pod), query_param(to.location, "ticket"), path));
    EXPECT_EQ(back.location, path);
    return cookie_value(back.cookie);
  }

  bool allowed(const pods::Pod& pod, const std::optional<std::string>& cookie) {
    const auto d = run(access_.check(host_of(pod), cookie));
    // Whenever the caches can answer alone (the server's fast route), they agree with check().
    if (const auto cached = access_.check_cached(host_of(pod), cookie)) {
      EXPECT_EQ(cached->allowed, d.allowed);
      EXPECT_EQ(cached->subject, d.subject);
      EXPECT_EQ(cached->pod_id, d.pod_id);
    }
    return d.allowed;
  }

  core::Config config_ = test_config();
  core::ManualClock clock_{std::chrono::system_clock::now()};
  core::EventBus bus_;
  users::UserStore users_{database(), clock_};
  auth::SessionStore sessions_{database(), clock_};
  neuropod::audit::AuditLog audit_{database(), clock_};
  neuropod::billing::Ledger ledger_{database(), clock_};
  neuropod::catalog::Catalog catalog_{database(), clock_, core::Micros::from_eur(10)};
  auth::AuthService auth_{config_, clock_, users_, sessions_, audit_, ledger_, catalog_};
  pods::PodStore store_{database(), clock_};
  pods::PodService pods_{store_, users_, catalog_, nullptr, bus_, clock_};
  pa::PodAccess access_{database(), auth_, pods_, clock_,
                        pa::AccessOptions{.keys = config_.auth.session_keys,
                                          .app_origin = "https://app.neuropod.test"}};
};

TEST_F(PodAccessTest, TheOwnerAndAdminsGetInOthersAndStrangersDoNot) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto other = person(unique("other") + "@example.com");
  const auto admin = person("root-access@example.com");
  ASSERT_TRUE(admin.principal.admin);
  const auto pod = pod_of(owner);

  EXPECT_FALSE(allowed(pod, std::nullopt));  // anonymous
  const auto cookie = open_as(owner, pod, "/lab?x=1");
  const auto d = run(access_.check(host_of(pod) + ":443", cookie));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.subject, owner.user.id.to_string());
  EXPECT_EQ(d.pod_id, pod.id.to_string());
  EXPECT_TRUE(allowed(pod, open_as(admin, pod)));

  EXPECT_EQ(error_code_of([&] { run(access_.signin(other.principal, "https://" + host_of(pod))); }),
            core::ErrorCode::forbidden);
  // No session: to the app's sign-in, coming back to the pod afterwards.
  const auto anon = run(access_.signin(std::nullopt, "https://" + host_of(pod) + "/a"));
  EXPECT_TRUE(anon.location.starts_with("https://app.neuropod.test/login?next=https%3A%2F%2F"))
      << anon.location;

  // The owner's cookie opens only this pod's host.
  const auto second = pod_of(owner);
  EXPECT_FALSE(allowed(second, cookie));
  // A tampered cookie, or a session token, is not a pod cookie.
  auto forged = cookie;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(allowed(pod, forged));
  EXPECT_FALSE(allowed(pod, owner.token));
}

TEST_F(PodAccessTest, TheCachedCheckAnswersOnlyFromFreshCachesAndAgrees) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto pod = pod_of(owner);
  const auto mine = open_as(owner, pod);
  const auto host = host_of(pod);
  const auto ttl = access_.options().cache_ttl + std::chrono::milliseconds(1);
  clock_.advance(std::max(ttl, config_.auth.session_cache_ttl + std::chrono::milliseconds(1)));

  // Stale caches: the fast route declines and the request takes the normal path.
  EXPECT_FALSE(access_.check_cached(host, mine).has_value());
  EXPECT_TRUE(run(access_.check(host, mine)).allowed);
  const auto yes = access_.check_cached(host + ":443", mine);
  ASSERT_TRUE(yes.has_value());
  EXPECT_TRUE(yes->allowed);
  EXPECT_EQ(yes->subject, owner.user.id.to_string());

  // A cookie whose signature does not verify is never trusted from, nor kept in, the cache.
  auto forged = mine;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(access_.check_cached(host, forged).has_value());
  EXPECT_FALSE(run(access_.check(host, forged)).allowed);
  EXPECT_FALSE(access_.check_cached(host, forged).has_value());

  // No cookie, or another host: answered (denied) from the host cache alone.
  const auto anonymous = access_.check_cached(host, std::nullopt);
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_FALSE(anonymous->allowed);
  EXPECT_FALSE(access_.check_cached("unknown-x1-1.neuropod.test", mine).has_value());

  // Once the pod entry is stale again, nothing is answered from memory.
  clock_.advance(ttl);
  EXPECT_FALSE(access_.check_cached(host, mine).has_value());
}

TEST_F(PodAccessTest, TicketsAreShortLivedSingleUseAndForOneHost) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto pod = pod_of(owner);
  const auto other_pod = pod_of(owner);
  const auto to = run(access_.signin(owner.principal, "https://" + host_of(pod) + "/"));
  const auto ticket = query_param(to.location, "ticket");
  // For another host: refused.
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_ticket(host_of(other_pod), ticket, "/")); }),
            core::ErrorCode::unauthorized);
  // Once: fine; twice: refused.
  run(access_.redeem_ticket(host_of(pod), ticket, "//evil.example/"));
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_ticket(host_of(pod), ticket, "/")); }),
            core::ErrorCode::unauthorized);
  // Expired after 60 s.
  const auto late = run(access_.signin(owner.principal, "https://" + host_of(pod) + "/"));
  clock_.advance(61s);
  EXPECT_EQ(error_code_of([&] {
              run(access_.redeem_ticket(host_of(pod), query_param(late.location, "ticket"), "/"));
            }),
            core::ErrorCode::unauthorized);
  // Forged.
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_ticket(host_of(pod), "a.b.c", "/")); }),
            core::ErrorCode::unauthorized);
  // An open redirect is not possible through rd.
  const auto again = run(access_.signin(owner.principal, "https://" + host_of(pod) + "/"));
  const auto back = run(access_.redeem_ticket(host_of(pod), query_param(again.location, "ticket"),
                                              "//evil.example/"));
  EXPECT_EQ(back.location, "/");
  // rd must be a pod's URL.
  EXPECT_EQ(error_code_of([&] { run(access_.signin(owner.principal, "javascript:alert(1)")); }),
            core::ErrorCode::validation_failed);
  EXPECT_EQ(error_code_of([&] {
              run(access_.signin(owner.principal, "https://nobody-x1-80.neuropod.test/"));
            }),
            core::ErrorCode::not_found);
}

TEST_F(PodAccessTest, SigningOutOrBeingBlockedClosesThePod) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto admin = person("root-access@example.com");
  const auto pod = pod_of(owner);
  const auto cookie = open_as(owner, pod);
  EXPECT_TRUE(allowed(pod, cookie));
  const auto again = person(owner.user.email);  // a second session of the same user
  const auto second = open_as(again, pod);
  run(auth_.sign_out(owner.principal, neuropod::audit::Actor{}));
  EXPECT_FALSE(allowed(pod, cookie));
  EXPECT_TRUE(allowed(pod, second));
  run(auth_.set_blocked(owner.user.id, true,
                        neuropod::audit::Actor{.user_id = admin.user.id.to_string(),
                                               .email = admin.user.email,
                                               .ip = {},
                                               .user_agent = {}}));
  EXPECT_FALSE(allowed(pod, second));
}

TEST_F(PodAccessTest, EachSharingLevel) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto other = person(unique("other") + "@example.com");
  const auto pod = pod_of(owner);
  EXPECT_EQ(pod.access, "owner");

  // Only the owner (or an admin) sets it; another user does not even see the pod.
  EXPECT_EQ(error_code_of([&] { run(access_.set_level(actor(other), pod.id, "public")); }),
            core::ErrorCode::not_found);
  EXPECT_EQ(error_code_of([&] { run(access_.set_level(actor(owner), pod.id, "everyone")); }),
            core::ErrorCode::validation_failed);

  EXPECT_EQ(run(access_.set_level(actor(owner), pod.id, "users")).access, "users");
  const auto others_cookie = open_as(other, pod);
  EXPECT_TRUE(allowed(pod, others_cookie));
  EXPECT_FALSE(allowed(pod, std::nullopt));

  EXPECT_EQ(run(access_.set_level(actor(owner), pod.id, "public")).access, "public");
  EXPECT_TRUE(allowed(pod, std::nullopt));
  EXPECT_EQ(run(access_.signin(std::nullopt, "https://" + host_of(pod) + "/x")).location,
            "https://" + host_of(pod) + "/x");

  run(access_.set_level(actor(owner), pod.id, "owner"));
  EXPECT_FALSE(allowed(pod, std::nullopt));
  EXPECT_FALSE(allowed(pod, others_cookie)) << "the level is checked on every request";
  EXPECT_EQ(run(store_.find(pod.id))->access, "owner");
}

TEST_F(PodAccessTest, ShareLinksOpenThePodUntilTheyExpireOrAreRevoked) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto other = person(unique("other") + "@example.com");
  const auto pod = pod_of(owner);
  EXPECT_EQ(error_code_of([&] { run(access_.create_share(actor(other), pod.id, "x", 1h)); }),
            core::ErrorCode::not_found);
  EXPECT_EQ(error_code_of([&] { run(access_.create_share(actor(owner), pod.id, "x", 10s)); }),
            core::ErrorCode::validation_failed);

  const auto link = run(access_.create_share(actor(owner), pod.id, "for Ana", 1h));
  const std::string prefix = "https://" + host_of(pod) + "/.neuropod/share/";
  ASSERT_TRUE(link.url.starts_with(prefix)) << link.url;
  const auto token = link.url.substr(prefix.size());

  const auto opened = run(access_.redeem_share(host_of(pod), token));
  EXPECT_EQ(opened.location, "/");
  const auto cookie = cookie_value(opened.cookie);
  const auto d = run(access_.check(host_of(pod), cookie));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.subject, "share:" + link.id);

  // A wrong secret, or the link on another pod's host, opens nothing.
  auto wrong = token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_share(host_of(pod), wrong)); }),
            core::ErrorCode::unauthorized);
  const auto second = pod_of(owner);
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_share(host_of(second), token)); }),
            core::ErrorCode::unauthorized);

  // Revoked: at once, for the cookie already handed out too.
  run(access_.revoke_share(actor(owner), pod.id, link.id));
  EXPECT_FALSE(allowed(pod, cookie));
  EXPECT_EQ(error_code_of([&] { run(access_.redeem_share(host_of(pod), token)); }),
            core::ErrorCode::unauthorized);
  EXPECT_EQ(error_code_of([&] { run(access_.revoke_share(actor(owner), pod.id, "nope")); }),
            core::ErrorCode::not_found);

  // Expired: a link of 2 minutes stops opening after them, and its cookie with it.
  const auto brief = run(access_.create_share(actor(owner), pod.id, "", 120s));
  const auto brief_cookie =
      cookie_value(run(access_.redeem_share(host_of(pod), brief.url.substr(prefix.size()))).cookie);
  EXPECT_TRUE(allowed(pod, brief_cookie));
  clock_.advance(121s);
  EXPECT_FALSE(allowed(pod, brief_cookie));
  EXPECT_EQ(error_code_of(
                [&] { run(access_.redeem_share(host_of(pod), brief.url.substr(prefix.size()))); }),
            core::ErrorCode::unauthorized);

  const auto list = run(access_.shares(actor(owner), pod.id));
  ASSERT_EQ(list.size(), 2U);
  EXPECT_EQ(list[0].id, brief.id);  // newest first
  EXPECT_EQ(pa::to_json(list[0], clock_.now())["state"], "expired");
  EXPECT_EQ(pa::to_json(list[1], clock_.now())["state"], "revoked");
  EXPECT_TRUE(pa::to_json(list[1], clock_.now())["url"].is_null()) << "secrets are not kept";
}

TEST_F(PodAccessTest, ActivityIsWrittenInBatchesAndOnlyMovesForward) {
  const auto owner = person(unique("owner") + "@example.com");
  const auto a = pod_of(owner);
  const auto b = pod_of(owner);
  pa::ActivityRecorder recorder(database(), clock_);
  for (int i = 0; i < 1000; ++i) {
    recorder.mark(a.id.to_string());
  }
  recorder.mark(b.id.to_string());
  EXPECT_EQ(recorder.pending(), 2U);
  const auto t1 = clock_.now();
  EXPECT_EQ(run(recorder.flush()), 2U);
  EXPECT_EQ(recorder.pending(), 0U);
  EXPECT_EQ(run(recorder.flush()), 0U);
  const auto stored = run(store_.find(a.id))->last_activity_at;
  ASSERT_TRUE(stored.has_value());
  EXPECT_LT(std::chrono::abs(*stored - t1), 2ms);

  // A later instance flushing an older mark does not move it back.
  core::ManualClock past{t1 - 1h};
  pa::ActivityRecorder late(database(), past);
  late.mark(a.id.to_string());
  run(late.flush());
  EXPECT_LT(std::chrono::abs(*run(store_.find(a.id))->last_activity_at - t1), 2ms);
  clock_.advance(5min);
  recorder.mark(a.id.to_string());
  run(recorder.flush());
  EXPECT_LT(std::chrono::abs(*run(store_.find(a.id))->last_activity_at - (t1 + 5min)), 2ms);
}
