#include "integration/db_test_env.hpp"

#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/logging.hpp"

namespace neuropod::test {
namespace {

core::DatabaseConfig g_config;
std::unique_ptr<db::Database> g_db;

class DbEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* uri = std::getenv("NEUROPOD_TEST_MONGODB_URI");
    if (uri == nullptr || *uri == '\0') {
      FAIL() << "NEUROPOD_TEST_MONGODB_URI is not set; `make test` starts a database and sets it";
    }
    g_config.uri = uri;
    g_config.name = "neuropod_test_" + core::random_hex(4);
    g_config.threads = 2;
    g_db = std::make_unique<db::Database>(g_config);
  }
  void TearDown() override {
    if (g_db) {
      try {
        g_db->run_sync([](db::Conn& c) { c.drop_database(); });
      } catch (const std::exception& e) {
        std::cerr << "could not drop the test database: " << e.what() << "\n";
      }
      g_db.reset();
    }
  }
};

}  // namespace

db::Database& database() {
  return *g_db;
}
const core::DatabaseConfig& database_config() {
  return g_config;
}

}  // namespace neuropod::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  neuropod::log::init("warn");
  ::testing::AddGlobalTestEnvironment(new neuropod::test::DbEnvironment());
  return RUN_ALL_TESTS();
}
