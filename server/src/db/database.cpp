#include "db/database.hpp"

#include <mutex>

#include <mongoc/mongoc.h>

#include "core/logging.hpp"

namespace neuropod::db {
namespace {

constexpr std::uint32_t kDuplicateKey = 11000;

[[noreturn]] void raise(const bson_error_t& error, std::string_view op) {
  const std::string message = std::string(op) + ": " + error.message;
  if (error.code == kDuplicateKey ||
      (error.domain == MONGOC_ERROR_COLLECTION && error.code == MONGOC_ERROR_DUPLICATE_KEY)) {
    throw DuplicateKey(message);
  }
  if (error.domain == MONGOC_ERROR_SERVER_SELECTION || error.domain == MONGOC_ERROR_STREAM ||
      (error.domain == MONGOC_ERROR_CLIENT && error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE)) {
    throw core::DatabaseUnavailable("The database is not reachable (" + std::string(op) + ")");
  }
  throw DbError(message);
}

Doc find_opts(const FindOptions& o) {
  Doc opts;
  if (o.sort) {
    opts.append("sort", *o.sort);
  }
  if (o.projection) {
    opts.append("projection", *o.projection);
  }
  if (o.limit > 0) {
    opts.append("limit", o.limit);
  }
  if (o.skip > 0) {
    opts.append("skip", o.skip);
  }
  return opts;
}

void log_handler(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (level <= MONGOC_LOG_LEVEL_WARNING) {
    log::warn("mongoc", {{"domain", domain}, {"message", message}});
  } else if (level == MONGOC_LOG_LEVEL_MESSAGE || level == MONGOC_LOG_LEVEL_INFO) {
    log::debug("mongoc", {{"domain", domain}, {"message", message}});
  }
}

std::int64_t reply_count(const bson_t& reply, const char* key) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, &reply, key) && BSON_ITER_HOLDS_NUMBER(&it)) {
    return bson_iter_as_int64(&it);
  }
  return 0;
}

// Runs a write that fills a reply, and returns the count named `key` from it.
template <typename Op>
std::int64_t write_count(Op op, const char* key, std::string_view what) {
  bson_t reply;
  bson_error_t error;
  const bool ok = op(&reply, &error);
  const auto n = ok ? reply_count(reply, key) : 0;
  bson_destroy(&reply);
  if (!ok) {
    raise(error, what);
  }
  return n;
}

}  // namespace

void init_driver() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_log_set_handler(log_handler, nullptr);
    mongoc_init();
  });
}

// ---- Collection ------------------------------------------------------------------------------

Collection::Collection(mongoc_collection_t* c) : c_(c) {}
Collection::~Collection() {
  if (c_ != nullptr) {
    mongoc_collection_destroy(c_);
  }
}
Collection::Collection(Collection&& o) noexcept : c_(o.c_) {
  o.c_ = nullptr;
}

void Collection::insert_one(const Doc& doc) {
  bson_error_t error;
  if (!mongoc_collection_insert_one(c_, doc.raw(), nullptr, nullptr, &error)) {
    raise(error, "insert");
  }
}

std::optional<Doc> Collection::find_one(const Doc& filter, const FindOptions& options) {
  FindOptions one = options;
  one.limit = 1;
  auto docs = find(filter, one);
  if (docs.empty()) {
    return std::nullopt;
  }
  return std::move(docs.front());
}

std::vector<Doc> Collection::find(const Doc& filter, const FindOptions& options) {
  const Doc opts = find_opts(options);
  std::unique_ptr<mongoc_cursor_t, void (*)(mongoc_cursor_t*)> cursor(
      mongoc_collection_find_with_opts(c_, filter.raw(), opts.raw(), nullptr),
      mongoc_cursor_destroy);
  std::vector<Doc> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    out.push_back(Doc::copy_of(doc));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    raise(error, "find");
  }
  return out;
}

std::vector<Doc> Collection::aggregate(const Array& pipeline) {
  std::unique_ptr<mongoc_cursor_t, void (*)(mongoc_cursor_t*)> cursor(
      mongoc_collection_aggregate(c_, MONGOC_QUERY_NONE, pipeline.doc().raw(), nullptr, nullptr),
      mongoc_cursor_destroy);
  std::vector<Doc> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    out.push_back(Doc::copy_of(doc));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    raise(error, "aggregate");
  }
  return out;
}

BulkWrite Collection::bulk(bool ordered) {
  return BulkWrite(c_, ordered);
}

UpdateResult Collection::update_one(const Doc& filter, const Doc& update, bool upsert) {
  Doc opts;
  if (upsert) {
    opts.append("upsert", true);
  }
  bson_t reply;
  bson_error_t error;
  const bool ok =
      mongoc_collection_update_one(c_, filter.raw(), update.raw(), opts.raw(), &reply, &error);
  UpdateResult r;
  if (ok) {
    r.matched = reply_count(reply, "matchedCount");
    r.modified = reply_count(reply, "modifiedCount");
    r.upserted = reply_count(reply, "upsertedCount") > 0;
  }
  bson_destroy(&reply);
  if (!ok) {
    raise(error, "update");
  }
  return r;
}

std::int64_t Collection::update_many(const Doc& filter, const Doc& update) {
  return write_count(
      [&](bson_t* reply, bson_error_t* error) {
        return mongoc_collection_update_many(c_, filter.raw(), update.raw(), nullptr, reply, error);
      },
      "modifiedCount", "update");
}

std::int64_t Collection::delete_one(const Doc& filter) {
  return write_count(
      [&](bson_t* reply, bson_error_t* error) {
        return mongoc_collection_delete_one(c_, filter.raw(), nullptr, reply, error);
      },
      "deletedCount", "delete");
}

std::int64_t Collection::delete_many(const Doc& filter) {
  return write_count(
      [&](bson_t* reply, bson_error_t* error) {
        return mongoc_collection_delete_many(c_, filter.raw(), nullptr, reply, error);
      },
      "deletedCount", "delete");
}

std::int64_t Collection::count(const Doc& filter) {
  bson_error_t error;
  const auto n =
      mongoc_collection_count_documents(c_, filter.raw(), nullptr, nullptr, nullptr, &error);
  if (n < 0) {
    raise(error, "count");
  }
  return n;
}

std::vector<Doc> Collection::list_indexes() {
  std::unique_ptr<mongoc_cursor_t, void (*)(mongoc_cursor_t*)> cursor(
      mongoc_collection_find_indexes_with_opts(c_, nullptr), mongoc_cursor_destroy);
  std::vector<Doc> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    out.push_back(Doc::copy_of(doc));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    raise(error, "listIndexes");
  }
  return out;
}

void Collection::drop() {
  bson_error_t error;
  if (!mongoc_collection_drop_with_opts(c_, nullptr, &error)) {
    if (std::string_view(error.message).find("ns not found") == std::string_view::npos) {
      raise(error, "drop");
    }
  }
}

// ---- BulkWrite -------------------------------------------------------------------------------

BulkWrite::BulkWrite(mongoc_collection_t* c, bool ordered)
    : c_(mongoc_collection_copy(c), mongoc_collection_destroy), ordered_(ordered) {}

void BulkWrite::insert(const Doc& doc) {
  ops_.push_back(Op{Kind::insert, doc, Doc(), false});
}

void BulkWrite::update_one(const Doc& filter, const Doc& update, bool upsert) {
  ops_.push_back(Op{Kind::update_one, filter, update, upsert});
}

void BulkWrite::update_many(const Doc& filter, const Doc& update) {
  ops_.push_back(Op{Kind::update_many, filter, update, false});
}

void BulkWrite::delete_many(const Doc& filter) {
  ops_.push_back(Op{Kind::delete_many, filter, Doc(), false});
}

namespace {

using BulkPtr = std::unique_ptr<mongoc_bulk_operation_t, void (*)(mongoc_bulk_operation_t*)>;

// Runs one mongoc bulk; adds its counts and errors (indexes shifted by `offset`) to `r`.
// Returns false when it had write errors.
bool run_bulk(mongoc_bulk_operation_t* bulk, std::size_t offset, BulkResult& r) {
  bson_t reply;
  bson_error_t error;
  const bool ok = mongoc_bulk_operation_execute(bulk, &reply, &error) != 0;
  const Doc doc = Doc::copy_of(&reply);
  bson_destroy(&reply);
  r.inserted += doc.get_int64("nInserted").value_or(0);
  r.matched += doc.get_int64("nMatched").value_or(0);
  r.modified += doc.get_int64("nModified").value_or(0);
  r.deleted += doc.get_int64("nRemoved").value_or(0);
  const auto errors = doc.get_doc_array("writeErrors");
  for (const auto& e : errors) {
    r.errors.push_back(
        WriteError{offset + static_cast<std::size_t>(e.get_int64("index").value_or(0)),
                   static_cast<std::int32_t>(e.get_int64("code").value_or(0)),
                   e.get_string("errmsg").value_or("")});
  }
  // Refused operations are reported; a failure of the whole batch (no per-operation errors, or a
  // write concern error) is thrown.
  if (!ok && (errors.empty() || !doc.get_doc_array("writeConcernErrors").empty())) {
    raise(error, "bulk write");
  }
  return errors.empty();
}

}  // namespace

BulkResult BulkWrite::execute() {
  BulkResult r;
  const std::vector<Op> ops = std::move(ops_);
  ops_.clear();
  Doc opts;
  opts.append("ordered", ordered_);
  std::size_t start = 0;
  while (start < ops.size()) {
    BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(c_.get(), opts.raw()),
                 mongoc_bulk_operation_destroy);
    std::size_t end = start;
    std::size_t updates = 0;
    for (; end < ops.size(); ++end) {
      const auto& op = ops[end];
      if (op.kind != Kind::insert && ++updates > kMaxUpdatesPerCommand) {
        break;
      }
      bson_error_t error;
      bool added = false;
      switch (op.kind) {
        case Kind::insert:
          added =
              mongoc_bulk_operation_insert_with_opts(bulk.get(), op.first.raw(), nullptr, &error);
          break;
        case Kind::update_one: {
          Doc update_opts;
          if (op.upsert) {
            update_opts.append("upsert", true);
          }
          added = mongoc_bulk_operation_update_one_with_opts(
              bulk.get(), op.first.raw(), op.second.raw(), update_opts.raw(), &error);
          break;
        }
        case Kind::update_many:
          added = mongoc_bulk_operation_update_many_with_opts(bulk.get(), op.first.raw(),
                                                              op.second.raw(), nullptr, &error);
          break;
        case Kind::delete_many:
          added = mongoc_bulk_operation_remove_many_with_opts(bulk.get(), op.first.raw(), nullptr,
                                                              &error);
          break;
      }
      if (!added) {
        raise(error, "bulk write");
      }
    }
    const bool clean = run_bulk(bulk.get(), start, r);
    if (!clean && ordered_) {
      break;
    }
    start = end;
  }
  return r;
}

// ---- Conn ------------------------------------------------------------------------------------

Conn::Conn(mongoc_client_t* client, std::string database)
    : client_(client), database_(std::move(database)) {}

Collection Conn::collection(std::string_view name) {
  const std::string n(name);
  return Collection(mongoc_client_get_collection(client_, database_.c_str(), n.c_str()));
}

Doc Conn::command(const Doc& command) {
  bson_t reply;
  bson_error_t error;
  const bool ok = mongoc_client_write_command_with_opts(client_, database_.c_str(), command.raw(),
                                                        nullptr, &reply, &error);
  Doc out = Doc::copy_of(&reply);
  bson_destroy(&reply);
  if (!ok) {
    raise(error, "command");
  }
  return out;
}

void Conn::ping() {
  Doc cmd;
  cmd.append("ping", std::int32_t{1});
  bson_t reply;
  bson_error_t error;
  const bool ok =
      mongoc_client_command_simple(client_, "admin", cmd.raw(), nullptr, &reply, &error);
  bson_destroy(&reply);
  if (!ok) {
    raise(error, "ping");
  }
}

std::vector<std::string> Conn::collection_names() {
  std::unique_ptr<mongoc_database_t, void (*)(mongoc_database_t*)> db(
      mongoc_client_get_database(client_, database_.c_str()), mongoc_database_destroy);
  bson_error_t error;
  char** names = mongoc_database_get_collection_names_with_opts(db.get(), nullptr, &error);
  if (names == nullptr) {
    raise(error, "listCollections");
  }
  std::vector<std::string> out;
  for (char** n = names; *n != nullptr; ++n) {
    out.emplace_back(*n);
  }
  bson_strfreev(names);
  return out;
}

void Conn::drop_database() {
  std::unique_ptr<mongoc_database_t, void (*)(mongoc_database_t*)> db(
      mongoc_client_get_database(client_, database_.c_str()), mongoc_database_destroy);
  bson_error_t error;
  if (!mongoc_database_drop_with_opts(db.get(), nullptr, &error)) {
    raise(error, "dropDatabase");
  }
}

// ---- Database --------------------------------------------------------------------------------

namespace {
mongoc_client_pool_t* make_pool(const core::DatabaseConfig& config) {
  init_driver();
  bson_error_t error;
  std::unique_ptr<mongoc_uri_t, void (*)(mongoc_uri_t*)> uri(
      mongoc_uri_new_with_error(config.uri.c_str(), &error), mongoc_uri_destroy);
  if (!uri) {
    throw core::ConfigError({std::string("MONGODB_URI: ") + error.message});
  }
  // Bounded waits: a down database answers within seconds, never hangs a request.
  auto set_default = [&](const char* key, std::int32_t value) {
    if (!mongoc_uri_has_option(uri.get(), key)) {
      mongoc_uri_set_option_as_int32(uri.get(), key, value);
    }
  };
  set_default(MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 3000);
  set_default(MONGOC_URI_CONNECTTIMEOUTMS, 3000);
  set_default(MONGOC_URI_SOCKETTIMEOUTMS, 15000);
  mongoc_uri_set_appname(uri.get(), "neuropod");
  mongoc_client_pool_t* pool = mongoc_client_pool_new_with_error(uri.get(), &error);
  if (pool == nullptr) {
    throw core::ConfigError({std::string("MONGODB_URI: ") + error.message});
  }
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_max_size(pool, config.threads + 2);
  return pool;
}
}  // namespace

Database::Database(const core::DatabaseConfig& config)
    : name_(config.name),
      max_queue_(config.max_queue),
      pool_(make_pool(config), mongoc_client_pool_destroy),
      workers_(config.threads) {}

Database::~Database() {
  close();
}

void Database::close() {
  workers_.join();
}

void Database::admit() {
  if (pending_.fetch_add(1) >= max_queue_) {
    pending_.fetch_sub(1);
    throw core::ServiceUnavailable("The server is busy; try again in a moment");
  }
}

Database::Lease::Lease(Database& d) : db(d), client(mongoc_client_pool_pop(d.pool_.get())) {}
Database::Lease::~Lease() {
  mongoc_client_pool_push(db.pool_.get(), client);
}

}  // namespace neuropod::db
