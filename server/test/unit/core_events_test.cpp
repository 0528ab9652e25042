// core::EventBus, core::KeyedLock and core::from_iso8601.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/event_bus.hpp"
#include "core/keyed_lock.hpp"
#include "core/time.hpp"

namespace asio = boost::asio;
using neuropod::core::Event;
using neuropod::core::EventBus;
using neuropod::core::KeyedLock;

namespace {

TEST(EventBus, DeliversToEverySubscriberUntilUnsubscribed) {
  EventBus bus;
  std::vector<std::string> a;
  std::vector<std::string> b;
  auto sa = bus.subscribe([&a](const Event& e) { a.push_back(e.type); });
  {
    auto sb = bus.subscribe([&b](const Event& e) { b.push_back(e.type + ":" + e.user_id); });
    EXPECT_EQ(bus.subscribers(), 2U);
    bus.publish({"pod.status", "u1", {{"status", "running"}}});
  }
  EXPECT_EQ(bus.subscribers(), 1U);
  bus.publish({"pod.deleted", "u2", nullptr});
  EXPECT_EQ(a, (std::vector<std::string>{"pod.status", "pod.deleted"}));
  EXPECT_EQ(b, (std::vector<std::string>{"pod.status:u1"}));
}

TEST(EventBus, AThrowingHandlerDoesNotStopTheOthers) {
  EventBus bus;
  int seen = 0;
  auto s1 = bus.subscribe([](const Event&) { throw std::runtime_error("boom"); });
  auto s2 = bus.subscribe([&seen](const Event&) { ++seen; });
  EXPECT_NO_THROW(bus.publish({"x", "", nullptr}));
  EXPECT_EQ(seen, 1);
}

TEST(EventBus, MovedSubscriptionUnsubscribesOnce) {
  EventBus bus;
  auto s = bus.subscribe([](const Event&) {});
  EventBus::Subscription moved = std::move(s);
  s.reset();  // NOLINT(bugprone-use-after-move): a moved-from subscription unsubscribes nothing
  EXPECT_EQ(bus.subscribers(), 1U);
  moved.reset();
  EXPECT_EQ(bus.subscribers(), 0U);
}

// Two coroutines on the same key never interleave across a co_await; other keys do not wait.
asio::awaitable<void> critical(KeyedLock& lock, std::string key, std::vector<std::string>& log,
                               std::string who) {
  auto guard = co_await lock.lock(key);
  log.push_back(who + ">");
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(20));
  co_await t.async_wait(asio::use_awaitable);
  log.push_back("<" + who);
}

TEST(KeyedLock, SerializesOneKeyInArrivalOrderAndLeavesOthersFree) {
  asio::io_context ioc;
  KeyedLock lock;
  std::vector<std::string> same;
  std::vector<std::string> other;
  asio::co_spawn(ioc, critical(lock, "u1", same, "a"), asio::detached);
  asio::co_spawn(ioc, critical(lock, "u1", same, "b"), asio::detached);
  asio::co_spawn(ioc, critical(lock, "u1", same, "c"), asio::detached);
  asio::co_spawn(ioc, critical(lock, "u2", other, "x"), asio::detached);
  const auto start = std::chrono::steady_clock::now();
  ioc.run();
  EXPECT_EQ(same, (std::vector<std::string>{"a>", "<a", "b>", "<b", "c>", "<c"}));
  EXPECT_EQ(other, (std::vector<std::string>{"x>", "<x"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(lock.keys_in_use(), 0U) << "entries are dropped when free";
}

TEST(KeyedLock, ReleasedWhenTheHolderThrows) {
  asio::io_context ioc;
  KeyedLock lock;
  bool second = false;
  auto thrower = [](KeyedLock& l) -> asio::awaitable<void> {
    auto g = co_await l.lock("k");
    throw std::runtime_error("boom");
  };
  auto after = [](KeyedLock& l, bool& flag) -> asio::awaitable<void> {
    auto g = co_await l.lock("k");
    flag = true;
  };
  asio::co_spawn(ioc, thrower(lock), [](const std::exception_ptr&) {});
  asio::co_spawn(ioc, after(lock, second), asio::detached);
  ioc.run();
  EXPECT_TRUE(second);
  EXPECT_EQ(lock.keys_in_use(), 0U);
}

TEST(KeyedLock, ManyThreadsOneKeyNeverOverlap) {
  asio::io_context ioc;
  KeyedLock lock;
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> done{0};
  auto worker = [](KeyedLock& l, std::atomic<int>& in, std::atomic<int>& mx,
                   std::atomic<int>& d) -> asio::awaitable<void> {
    for (int i = 0; i < 50; ++i) {
      auto g = co_await l.lock("shared");
      const int now = ++in;
      int prev = mx.load();
      while (now > prev && !mx.compare_exchange_weak(prev, now)) {
      }
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(std::chrono::microseconds(50));
      co_await t.async_wait(asio::use_awaitable);
      --in;
    }
    ++d;
  };
  for (int w = 0; w < 8; ++w) {
    asio::co_spawn(ioc, worker(lock, inside, max_inside, done), asio::detached);
  }
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&ioc] { ioc.run(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(done.load(), 8);
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(Iso8601, ParsesWhatKubernetesAndWeWrite) {
  using neuropod::core::from_iso8601;
  using neuropod::core::to_iso8601;
  using neuropod::core::to_unix_millis;
  const auto t = from_iso8601("2026-11-30T07:30:00.123456Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_iso8601(*t), "2026-11-30T07:30:00.123Z");
  EXPECT_EQ(to_unix_millis(*from_iso8601("1970-01-01T00:00:01Z")), 1000);
  EXPECT_EQ(to_unix_millis(*from_iso8601("1970-01-01T01:00:00+01:00")), 0);
  EXPECT_EQ(to_unix_millis(*from_iso8601("1970-01-01T00:00:00-00:30")), 30 * 60 * 1000);
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  EXPECT_EQ(*from_iso8601(to_iso8601(now)), now);
  for (const char* bad : {"", "2026-11-30", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-30T25:00:00Z", "2026-11-30T07:30:00", "2026-11-30T07:30:00.Z",
                          "2026-11-30T07:30:00Zjunk", "2026-11-30T07:30:00+0100"}) {
    EXPECT_FALSE(from_iso8601(bad)) << bad;
  }
}

}  // namespace
