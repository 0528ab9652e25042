// Wiring only: config -> modules -> server -> run.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "app/app.hpp"
#include "core/config.hpp"
#include "core/logging.hpp"
#include "db/database.hpp"
#include "db/schema.hpp"
#include "http/server.hpp"
#include "metrics/metrics.hpp"

extern char** environ;

namespace asio = boost::asio;
using namespace neuropod;

namespace {

// Creates collections and indexes; retries until the database answers (the server keeps serving
// /api/status meanwhile, reporting the database as down).
asio::awaitable<void> prepare_schema(db::Database& db, app::App& application) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int attempt = 1;; ++attempt) {
    try {
      co_await db.run([](db::Conn& c) { db::ensure_schema(c); });
      co_await application.prepare();
      co_return;
    } catch (const std::exception& e) {
      log::warn("db.schema_retry", {{"attempt", attempt}, {"error", e.what()}});
    }
    timer.expires_after(std::chrono::seconds(std::min(attempt, 10)));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> shutdown(http::Server& server, asio::io_context& ioc,
                               std::vector<std::unique_ptr<asio::io_context>>& workers) {
  log::info("shutdown.begin");
  co_await server.shutdown();
  for (auto& w : workers) {
    w->stop();
  }
  ioc.stop();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Neuropod API server"};
  std::string env_file = ".env";
  bool check_only = false;
  bool print_version = false;
  app.add_option("--env-file", env_file, "Optional file with KEY=VALUE lines (environment wins)");
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  app.add_flag("--version", print_version, "Print the version and exit");
  CLI11_PARSE(app, argc, argv);
  if (print_version) {
    std::cout << NEUROPOD_VERSION << "\n";
    return 0;
  }

  core::Config config;
  try {
    config = core::Config::from_env(core::load_environment(environ, env_file));
  } catch (const core::ConfigError& e) {
    std::cerr << "neuropod: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration ok\n";
    return 0;
  }
  log::init(config.log_level);
  log::info("start", {{"version", NEUROPOD_VERSION},
                      {"environment", core::to_string(config.env)},
                      {"database", config.db.name},
                      {"http_threads", config.http.threads}});

  std::signal(SIGPIPE, SIG_IGN);
  core::SystemClock clock;
  std::unique_ptr<db::Database> database;
  try {
    database = std::make_unique<db::Database>(config.db);
  } catch (const core::ConfigError& e) {
    std::cerr << "neuropod: " << e.what() << "\n";
    return 2;
  }

  if (config.auth.session_keys_are_default) {
    log::warn("auth.default_session_key",
              {{"hint", "set NEUROPOD_SESSION_KEYS; the built-in key is for development only"}});
  }
  if (config.auth.dev_login) {
    log::warn("auth.dev_login_enabled",
              {{"hint", "anyone can sign in as any email; set GOOGLE_CLIENT_ID for real sign-in"}});
  }

  // One event loop per thread: `ioc` (the first thread) runs the background loops, accepts and
  // takes its share of the connections; each further thread runs a loop of its own for its
  // share. A request is read, answered and written on one thread: no wake-up of another thread
  // per event, as one loop shared by all threads needs (a tenth of the ingress auth check's
  // time). Shared state is guarded as before (strands, mutexes): the threads are as many.
  asio::io_context ioc(1);
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<asio::io_context*> session_contexts{&ioc};
  for (unsigned i = 1; i < config.http.threads; ++i) {
    workers.push_back(std::make_unique<asio::io_context>(1));
    session_contexts.push_back(workers.back().get());
  }
  std::unique_ptr<app::App> application;
  try {
    application = std::make_unique<app::App>(config, *database, clock, ioc.get_executor());
  } catch (const std::exception& e) {  // bad keys, a route missing from the contract
    std::cerr << "neuropod: " << e.what() << "\n";
    return 2;
  }
  database->set_observer([metrics = application->metrics()](std::chrono::nanoseconds elapsed,
                                                            std::exception_ptr error) {
    metrics->observe_db(elapsed, error);
  });
  http::Server server(ioc, config.http, application->pipeline(), session_contexts);
  // Signals are caught before the port is announced, so a SIGTERM right after start is graceful.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      asio::co_spawn(ioc, shutdown(server, ioc, workers), asio::detached);
    }
  });
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("http.listen_failed",
               {{"hosts", config.http.hosts}, {"port", config.http.port}, {"error", e.what()}});
    return 1;
  }
  asio::co_spawn(ioc, prepare_schema(*database, *application), asio::detached);
  asio::co_spawn(ioc, application->run_background(), asio::detached);

  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (auto& w : workers) {
    threads.emplace_back([&w] {
      auto work = asio::make_work_guard(*w);  // idle between connections until the shutdown
      w->run();
    });
  }
  ioc.run();
  for (auto& w : workers) {
    w->stop();  // the main loop can end another way (an exception escaping it)
  }
  for (auto& t : threads) {
    t.join();
  }
  workers.clear();  // what is left in them (session frames) goes while the application lives
  application.reset();
  database->close();
  database.reset();
  log::info("shutdown.complete");
  return 0;
}
