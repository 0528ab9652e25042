#pragma once
// MongoDB access through the official C driver (libmongoc 1.23). libmongoc is blocking, so every
// call runs on a worker pool and is awaited from the coroutine:
//
//   auto user = co_await db.run([&](db::Conn& c) { return c.collection("User").find_one(filter);
//   });
//
// Network threads never wait on the database. A full queue fails fast (503), it never queues
// forever. Errors are typed: DuplicateKey (409), core::DatabaseUnavailable (503), DbError (500).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <mongoc/mongoc.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "db/bson.hpp"

namespace neuropod::db {

class DuplicateKey : public core::Conflict {
 public:
  explicit DuplicateKey(const std::string& message) : core::Conflict(message) {}
};

// Any other driver or server error. Mapped to a generic 500; the message is logged, not shown.
class DbError : public core::Error {
 public:
  explicit DbError(const std::string& message) : core::Error(core::ErrorCode::internal, message) {}
};

struct FindOptions {
  std::optional<Doc> sort;
  std::optional<Doc> projection;
  std::int64_t limit = 0;  // 0 = no limit
  std::int64_t skip = 0;
};

struct UpdateResult {
  std::int64_t matched = 0;
  std::int64_t modified = 0;
  bool upserted = false;
};

// One refused write of a bulk write: its position among the operations and the server's code.
struct WriteError {
  std::size_t index = 0;
  std::int32_t code = 0;
  std::string message;
  bool duplicate_key() const { return code == 11000; }
};

struct BulkResult {
  std::int64_t inserted = 0;
  std::int64_t matched = 0;
  std::int64_t modified = 0;
  std::int64_t deleted = 0;
  std::vector<WriteError> errors;  // empty when every operation was applied
};

// Many writes to one collection sent together (the driver groups consecutive operations of one
// kind into one command). Unordered: the server applies all it can and reports each refused one
// (a duplicate key, ...) in BulkResult::errors instead of throwing. Updates and deletes go at most
// kMaxUpdatesPerCommand to a command: FerretDB 1.24 keeps one SQLite connection open per update
// statement until the command ends, from a pool of 100 per database, so a command of 100 updates
// (or a few concurrent ones of 30) waits forever. Obtained from Collection::bulk; used on the
// worker thread that holds the connection.
class BulkWrite {
 public:
  static constexpr std::size_t kMaxUpdatesPerCommand = 16;

  // Keeps its own handle on the collection (a copy of `c`).
  BulkWrite(mongoc_collection_t* c, bool ordered);

  void insert(const Doc& doc);
  void update_one(const Doc& filter, const Doc& update, bool upsert = false);
  void update_many(const Doc& filter, const Doc& update);
  void delete_many(const Doc& filter);
  std::size_t size() const { return ops_.size(); }

  // Sends every operation (nothing when there is none) and forgets them. Write errors are
  // returned (their index counts every operation of this BulkWrite); anything else (the database
  // unreachable, a malformed operation) throws like the other calls. Ordered: stops at the first
  // command with an error.
  BulkResult execute();

 private:
  enum class Kind : std::uint8_t { insert, update_one, update_many, delete_many };
  struct Op {
    Kind kind;
    Doc first;   // the document (insert) or the filter
    Doc second;  // the update
    bool upsert = false;
  };
  std::unique_ptr<mongoc_collection_t, void (*)(mongoc_collection_t*)> c_;
  bool ordered_;
  std::vector<Op> ops_;
};

class Collection {
 public:
  Collection(mongoc_collection_t* c);
  ~Collection();
  Collection(Collection&&) noexcept;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  Collection& operator=(Collection&&) = delete;

  void insert_one(const Doc& doc);
  std::optional<Doc> find_one(const Doc& filter, const FindOptions& options = {});
  std::vector<Doc> find(const Doc& filter, const FindOptions& options = {});
  // Runs an aggregation pipeline (an array of stages built from typed values) and returns every
  // resulting document.
  std::vector<Doc> aggregate(const Array& pipeline);
  // Unordered unless told otherwise: see BulkWrite.
  BulkWrite bulk(bool ordered = false);
  UpdateResult update_one(const Doc& filter, const Doc& update, bool upsert = false);
  std::int64_t update_many(const Doc& filter, const Doc& update);
  std::int64_t delete_one(const Doc& filter);
  std::int64_t delete_many(const Doc& filter);
  std::int64_t count(const Doc& filter);
  std::vector<Doc> list_indexes();
  void drop();

 private:
  mongoc_collection_t* c_;
};

// A client leased from the pool, valid on the worker thread that holds it.
class Conn {
 public:
  Conn(mongoc_client_t* client, std::string database);
  Collection collection(std::string_view name);
  // Runs a command on the database; returns the reply. Throws on failure.
  Doc command(const Doc& command);
  void ping();
  std::vector<std::string> collection_names();
  void drop_database();
  const std::string& database() const { return database_; }

 private:
  mongoc_client_t* client_;
  std::string database_;
};

class Database {
 public:
  // Does not block: connections are made lazily by the driver.
  explicit Database(const core::DatabaseConfig& config);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& name() const { return name_; }

  // Runs `fn(Conn&)` on a worker thread and resumes the awaiting coroutine on its own executor
  // with the result (or the exception). Throws core::ServiceUnavailable when the queue is full.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F&, Conn&>> run(F fn);

  // Blocking variant for start-up and tests (never on a network thread).
  template <typename F>
  std::invoke_result_t<F&, Conn&> run_sync(F fn) {
    Lease lease(*this);
    Conn conn(lease.client, name_);
    return fn(conn);
  }

  // Stops the workers after the queued calls finished.
  void close();

  // Called on the worker thread after every run() call (metrics): how long `fn` took (the wait
  // for a worker excluded) and what it threw (null: nothing). Set before the first call.
  using Observer = std::function<void(std::chrono::nanoseconds elapsed, std::exception_ptr error)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& db;
    mongoc_client_t* client;
  };

  void admit();
  void done() { pending_.fetch_sub(1); }

  std::string name_;
  std::size_t max_queue_;
  std::atomic<std::size_t> pending_{0};
  std::unique_ptr<mongoc_client_pool_t, void (*)(mongoc_client_pool_t*)> pool_;
  boost::asio::thread_pool workers_;
  Observer observer_;
};

// Installs the driver's log handler (libmongoc prints DEBUG to stderr until one is set) and
// initialises the driver. Call once before creating a Database.
void init_driver();

template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&, Conn&>> Database::run(F fn) {
  using R = std::invoke_result_t<F&, Conn&>;
  using Slot = std::conditional_t<std::is_void_v<R>, std::monostate, std::optional<R>>;
  admit();
  Slot slot = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                   void(std::exception_ptr, Slot)>(
      [this, &fn](auto handler) {
        auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
        boost::asio::post(
            workers_, [this, &fn, handler = std::move(handler), work = std::move(work)]() mutable {
              std::exception_ptr error;
              Slot result{};
              const auto started = std::chrono::steady_clock::now();
              try {
                Lease lease(*this);
                Conn conn(lease.client, name_);
                if constexpr (std::is_void_v<R>) {
                  fn(conn);
                } else {
                  result.emplace(fn(conn));
                }
              } catch (...) {
                error = std::current_exception();
              }
              if (observer_) {
                observer_(std::chrono::steady_clock::now() - started, error);
              }
              done();
              auto ex = boost::asio::get_associated_executor(handler);
              boost::asio::dispatch(
                  ex, [handler = std::move(handler), error, result = std::move(result)]() mutable {
                    std::move(handler)(error, std::move(result));
                  });
            });
      },
      boost::asio::use_awaitable);
  if constexpr (!std::is_void_v<R>) {
    co_return std::move(*slot);
  }
}

}  // namespace neuropod::db
