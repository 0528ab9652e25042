#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "db/schema.hpp"
#include "integration/db_test_env.hpp"

namespace db = neuropod::db;
using neuropod::test::database;

namespace {
std::set<std::string> index_names(db::Conn& c, std::string_view collection) {
  std::set<std::string> out;
  for (const auto& idx : c.collection(collection).list_indexes()) {
    out.insert(idx.get_string("name").value_or(""));
  }
  return out;
}
}  // namespace

TEST(Schema, CreatesTheSixCollectionsWithTheirIndexes) {
  database().run_sync([](db::Conn& c) { db::ensure_schema(c); });
  database().run_sync([](db::Conn& c) {
    auto names = c.collection_names();
    for (const auto* wanted : {"User", "Session", "Log", "Pod", "Template", "Transaccion"}) {
      EXPECT_NE(std::find(names.begin(), names.end(), wanted), names.end()) << wanted;
    }
    for (const auto& spec : db::index_specs()) {
      EXPECT_TRUE(index_names(c, spec.collection).contains(std::string(spec.name)))
          << spec.collection << "." << spec.name;
    }
    // Unique flags really are on the server.
    for (const auto& idx : c.collection("User").list_indexes()) {
      if (idx.get_string("name") == "email_unique") {
        EXPECT_TRUE(idx.get_bool("unique").value_or(false));
      }
    }
  });
}

TEST(Schema, IsIdempotent) {
  database().run_sync([](db::Conn& c) {
    db::ensure_schema(c);
    const auto before = index_names(c, "Pod");
    db::ensure_schema(c);
    EXPECT_EQ(index_names(c, "Pod"), before);
  });
}

TEST(Database, RunsOnWorkersAndPropagatesErrors) {
  using neuropod::test::run;
  auto& d = database();
  const int v = run(d.run([](db::Conn&) { return 42; }));
  EXPECT_EQ(v, 42);
  EXPECT_THROW(run(d.run([](db::Conn&) -> int { throw std::runtime_error("boom"); })),
               std::runtime_error);
}

TEST(Database, UnreachableServerIsDatabaseUnavailableQuickly) {
  neuropod::core::DatabaseConfig cfg;
  cfg.uri = "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
  cfg.name = "x";
  cfg.threads = 1;
  db::Database down(cfg);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(down.run_sync([](db::Conn& c) { c.ping(); }), neuropod::core::DatabaseUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Database, FullQueueFailsFast) {
  neuropod::core::DatabaseConfig cfg = neuropod::test::database_config();
  cfg.threads = 1;
  cfg.max_queue = 1;
  db::Database small(cfg);
  boost::asio::io_context ioc;
  std::promise<void> release;
  auto gate = release.get_future().share();
  auto first = boost::asio::co_spawn(ioc, small.run([gate](db::Conn&) {
    gate.wait();
    return 1;
  }),
                                     boost::asio::use_future);
  ioc.poll();  // the first call is now waiting on the only worker
  EXPECT_THROW(neuropod::test::run(small.run([](db::Conn&) { return 2; })),
               neuropod::core::ServiceUnavailable);
  release.set_value();
  ioc.run();
  EXPECT_EQ(first.get(), 1);
}

TEST(Collection, WritesReportTheirCounts) {
  database().run_sync([](db::Conn& c) {
    auto coll = c.collection("WriteCounts");
    coll.drop();
    for (std::int64_t i = 0; i < 3; ++i) {
      db::Doc d;
      d.append("n", i).append("kind", i < 2 ? "a" : "b");
      coll.insert_one(d);
    }
    db::Doc kind_a;
    kind_a.append("kind", "a");
    db::Doc set;
    db::Doc fields;
    fields.append("seen", true);
    set.append("$set", fields);
    EXPECT_EQ(coll.update_many(kind_a, set), 2);
    db::Doc seen;
    seen.append("seen", true);
    EXPECT_EQ(coll.count(seen), 2);
    EXPECT_EQ(coll.delete_one(kind_a), 1);
    EXPECT_EQ(coll.delete_many(db::Doc{}), 2);
    EXPECT_EQ(coll.count(db::Doc{}), 0);
    coll.drop();
  });
}

TEST(Database, BulkWritesReportRefusedOperationsAndSplitLongUpdates) {
  neuropod::test::database().run_sync([](db::Conn& c) {
    auto coll = c.collection("BulkTest");
    auto inserts = coll.bulk();
    for (int i = 0; i < 300; ++i) {
      db::Doc d;
      d.append("_id", "doc-" + std::to_string(i)).append("n", std::int64_t{i});
      inserts.insert(d);
    }
    db::Doc dup;
    dup.append("_id", "doc-7");
    inserts.insert(dup);  // refused, the others go in
    const auto r = inserts.execute();
    EXPECT_EQ(r.inserted, 300);
    ASSERT_EQ(r.errors.size(), 1U);
    EXPECT_EQ(r.errors[0].index, 300U);
    EXPECT_TRUE(r.errors[0].duplicate_key());
    // More updates than FerretDB 1.24 takes in one command (it hangs at 100): split.
    auto updates = coll.bulk();
    for (int i = 0; i < 250; ++i) {
      db::Doc f;
      f.append("_id", "doc-" + std::to_string(i)).append("n", std::int64_t{i});
      db::Doc set;
      set.append("n", std::int64_t{i + 1000});
      db::Doc u;
      u.append("$set", set);
      updates.update_one(f, u);
    }
    const auto u = updates.execute();
    EXPECT_EQ(u.matched, 250);
    EXPECT_TRUE(u.errors.empty());
    EXPECT_EQ(updates.size(), 0U);
    db::Doc moved;
    db::Doc gte;
    gte.append("$gte", std::int64_t{1000});
    moved.append("n", gte);
    EXPECT_EQ(coll.count(moved), 250);
    EXPECT_TRUE(coll.bulk().execute().errors.empty()) << "an empty bulk is a no-op";
    coll.drop();
  });
}
