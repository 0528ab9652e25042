#pragma once
// An asynchronous mutex per key (a user id, a pod id): coroutines that must not interleave on the
// same key across co_await (check-then-insert, read-modify-write of one document) take it; other
// keys are not blocked. Fair: waiters get the lock in arrival order. Entries are dropped when the
// last holder leaves, so the table only holds keys in use.
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace neuropod::core {

class KeyedLock {
 public:
  // Releases the key when destroyed (or moved from and then destroyed: once).
  class Guard {
   public:
    Guard(KeyedLock* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    ~Guard() {
      if (owner_ != nullptr) {
        owner_->release(key_);
      }
    }
    Guard(Guard&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;

   private:
    KeyedLock* owner_;
    std::string key_;
  };

  // Waits until `key` is free, then holds it until the Guard is destroyed.
  boost::asio::awaitable<Guard> lock(std::string key) {
    const boost::asio::any_io_executor ex = co_await boost::asio::this_coro::executor;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [this, &key, &ex](auto handler) {
          acquire(key, Waiter{ex, std::move(handler)});
        },
        boost::asio::use_awaitable);
    co_return Guard(this, std::move(key));
  }

  std::size_t keys_in_use() const {
    std::lock_guard g(mu_);
    return entries_.size();
  }

 private:
  struct Waiter {
    boost::asio::any_io_executor executor;  // the waiting coroutine's
    boost::asio::any_completion_handler<void()> handler;
  };
  struct Entry {
    std::deque<Waiter> waiters;
  };

  void acquire(const std::string& key, Waiter handler) {
    std::unique_lock g(mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    if (!inserted) {
      it->second.waiters.push_back(std::move(handler));
      return;
    }
    g.unlock();
    resume(std::move(handler));
  }

  void release(const std::string& key) {
    std::unique_lock g(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      return;
    }
    if (it->second.waiters.empty()) {
      entries_.erase(it);
      return;
    }
    Waiter next = std::move(it->second.waiters.front());
    it->second.waiters.pop_front();
    g.unlock();
    resume(std::move(next));
  }

  // Completes on the waiter's own executor, never inline.
  static void resume(Waiter w) {
    boost::asio::post(w.executor, [h = std::move(w.handler)]() mutable { std::move(h)(); });
  }

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace neuropod::core
