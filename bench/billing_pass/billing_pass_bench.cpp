// One billing pass over many running pods (bench/README.md, "bench/billing_pass"): inserts users
// and running pods (pods::to_doc, the real schema) into a fresh database, then times
//   1. the first pass: every pod seen for the first time, one minute due for each;
//   2. the same pass again at the same instant: nothing due (idempotent);
//   3. a pass one minute later: the steady state, one more minute for each pod;
// beside baselines on the same database: reading the pods alone (the floor of a pass), inserting
// as many bare documents in one unordered insert (the floor of writing the entries), and the
// ledger's one-by-one path (Ledger::apply) for a sample, extrapolated. Prints figures and peak RSS;
// asserts nothing about time. Exit status 1 when a pass charged a wrong total.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "billing/ledger.hpp"
#include "core/event_bus.hpp"
#include "core/ids.hpp"
#include "core/logging.hpp"
#include "db/database.hpp"
#include "db/schema.hpp"
#include "metering/meter.hpp"
#include "metering/periods.hpp"
#include "pods/pod.hpp"

namespace billing = neuropod::billing;
namespace core = neuropod::core;
namespace db = neuropod::db;
namespace metering = neuropod::metering;
namespace pods = neuropod::pods;
using namespace std::chrono_literals;

namespace {

template <typename T>
T run(boost::asio::awaitable<T> aw) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, std::move(aw), boost::asio::use_future);
  ioc.run();
  return fut.get();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds this process used (all threads, user + system): the pass's own work, beside the
// wall time that includes waiting for the database.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

std::int64_t sum_of_balances(db::Database& d) {
  return d.run_sync([](db::Conn& c) {
    std::int64_t total = 0;
    db::FindOptions o;
    db::Doc p;
    p.append("balance_micros", std::int32_t{1});
    o.projection = p;
    for (const auto& u : c.collection(db::collections::kUser).find(db::Doc(), o)) {
      total += u.get_int64("balance_micros").value_or(0);
    }
    return total;
  });
}

void print_pass(const char* what, double secs, double cpu, const metering::PassReport& r) {
  fmt::print(
      "{:<44} {:>8.3f} s  {:>7.3f} s  {:>6} pods {:>6} entries  (read {} ms, ledger {} ms, save "
      "{} ms)\n",
      what, secs, cpu, r.pods, r.created, r.load_ms, r.ledger_ms, r.save_ms);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"One billing pass over many running pods"};
  std::string uri = "mongodb://127.0.0.1:27017/";
  std::int64_t pod_count = 10'000;
  std::int64_t user_count = 2'000;
  std::int64_t sample = 200;
  bool keep = false;
  std::string before_passes;
  app.add_option("--uri", uri, "MongoDB / FerretDB URI (loopback)");
  app.add_option("--pods", pod_count, "running pods");
  app.add_option("--users", user_count, "users owning them");
  app.add_option("--sample", sample, "charges through Ledger::apply one by one (baseline)");
  app.add_flag("--keep", keep, "keep the database");
  app.add_option("--before-passes", before_passes,
                 "shell command run once the data is in, before the first pass "
                 "(NEUROPOD_BENCH_DB names the database)");
  CLI11_PARSE(app, argc, argv);
  if (uri.find("127.0.0.1") == std::string::npos && uri.find("localhost") == std::string::npos) {
    std::cerr << "refusing a non-loopback database\n";
    return 2;
  }

  neuropod::log::init("warn");
  core::DatabaseConfig cfg;
  // FerretDB answers a large bulk write slowly: wait for it rather than time out at 15 s.
  cfg.uri = uri + (uri.find('?') == std::string::npos ? "?" : "&") + "socketTimeoutMS=900000";
  cfg.name = "neuropod_bench_billing_" + core::random_hex(4);
  cfg.threads = 4;
  cfg.max_queue = 1'000;
  db::Database database(cfg);
  database.run_sync([](db::Conn& c) { db::ensure_schema(c); });

  const auto t_start = *core::from_iso8601("2026-03-01T12:00:00.000Z");
  core::ManualClock clock(t_start);
  const core::Micros price(1'234'567);
  const core::Micros balance(1'000'000'000);  // 1000 EUR: nobody runs out

  // Users as UserStore::create writes them, with their balance as ledger entry 1.
  std::vector<db::Oid> users;
  auto t0 = std::chrono::steady_clock::now();
  database.run_sync([&](db::Conn& c) {
    auto user_bulk = c.collection(db::collections::kUser).bulk();
    auto tx_bulk = c.collection(db::collections::kTransaccion).bulk();
    for (std::int64_t i = 0; i < user_count; ++i) {
      const auto id = db::Oid::generate();
      users.push_back(id);
      const auto email = fmt::format("bench{}@example.com", i);
      db::Doc u;
      u.append("_id", id)
          .append("google_id", "email:" + email)
          .append("email", email)
          .append("name", "")
          .append("avatar_url", "")
          .append("role", "client")
          .append("balance_micros", balance.value())
          .append("ledger_seq", std::int64_t{1})
          .append("blocked", false)
          .append("created_at", t_start)
          .append("updated_at", t_start);
      user_bulk.insert(u);
      db::Doc e;
      e.append("_id", "initial:" + id.to_string())
          .append("user_id", id)
          .append("seq", std::int64_t{1})
          .append("kind", "initial")
          .append("amount_micros", balance.value())
          .append("balance_after_micros", balance.value())
          .append("reason", "bench")
          .append("actor_id", "")
          .append("actor_email", "")
          .append("pod_id", "")
          .append("ts", t_start)
          .append("applied", true)
          .append("usage_micros", std::int64_t{0})
          .append("day", "");
      tx_bulk.insert(e);
    }
    user_bulk.execute();
    tx_bulk.execute();
  });
  // Running pods (the real record), started between 66 and 119 s ago: exactly one whole minute
  // is due for each at the first pass (a pass leaves the last 5 s for the next one).
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> ago(66'000, 119'000);
  std::vector<pods::Pod> all;
  all.reserve(static_cast<std::size_t>(pod_count));
  for (std::int64_t i = 0; i < pod_count; ++i) {
    pods::Pod p;
    p.id = db::Oid::generate();
    p.user_id = users[static_cast<std::size_t>(i % user_count)];
    p.user_email = fmt::format("bench{}@example.com", i % user_count);
    p.name = fmt::format("pod {}", i);
    p.name_key = fmt::format("pod-{}", i);
    p.template_slug = "comfyui";
    p.template_name = "ComfyUI";
    p.image = "ghcr.io/neuropod/comfyui:1";
    p.ports = {{8188, "ui", "http"}};
    p.price_per_hour = price;
    p.desired = "running";
    p.status = "running";
    p.ready = true;
    p.node = "node-1";
    p.urls = {{8188, "ui", "http", fmt::format("https://pod-{}.neuropod.online", i)}};
    p.events = {{"Normal", "Started", "Started container", core::to_iso8601(t_start)}};
    p.created_at = p.updated_at = t_start - 10min;
    p.started_at = t_start - 10min;
    p.running_since = t_start - std::chrono::milliseconds(ago(rng));
    all.push_back(std::move(p));
  }
  database.run_sync([&all](db::Conn& c) {
    auto bulk = c.collection(db::collections::kPod).bulk();
    for (const auto& p : all) {
      bulk.insert(pods::to_doc(p));
    }
    bulk.execute();
  });
  if (!before_passes.empty()) {
    const auto command = "NEUROPOD_BENCH_DB=" + cfg.name + " " + before_passes;
    if (std::system(command.c_str()) != 0) {  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
      std::cerr << "--before-passes failed: " << before_passes << "\n";
      return 2;
    }
  }
  const double setup_s = seconds_since(t0);
  const long rss_before = peak_rss_mib();

  fmt::print("billing_pass: {} running pods of {} users, FerretDB/MongoDB at {}\n", pod_count,
             user_count, uri);
  fmt::print(
      "machine: {} CPUs; setup {:.1f} s (not measured); peak RSS before the passes {} MiB\n\n",
      std::thread::hardware_concurrency(), setup_s, rss_before);

  core::EventBus bus;
  billing::Ledger ledger(database, clock);
  metering::Meter meter(database, ledger, bus, clock, nullptr, nullptr);
  int status = 0;

  t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  const auto first = run(meter.run_once());
  const double first_s = seconds_since(t0);
  const double first_cpu = cpu_seconds() - c0;
  const std::int64_t after_first = sum_of_balances(database);
  const std::int64_t expected = metering::cost_at(price, 60'000).value() * pod_count;
  if (balance.value() * user_count - after_first != expected) {
    fmt::print("FAILED: the first pass charged {} micros, expected {}\n",
               balance.value() * user_count - after_first, expected);
    status = 1;
  }

  t0 = std::chrono::steady_clock::now();
  c0 = cpu_seconds();
  const auto second = run(meter.run_once());
  const double second_s = seconds_since(t0);
  const double second_cpu = cpu_seconds() - c0;
  if (second.created != 0 || sum_of_balances(database) != after_first) {
    fmt::print("FAILED: the second pass at the same instant changed something\n");
    status = 1;
  }

  clock.advance(60s);
  t0 = std::chrono::steady_clock::now();
  c0 = cpu_seconds();
  const auto third = run(meter.run_once());
  const double third_s = seconds_since(t0);
  const double third_cpu = cpu_seconds() - c0;
  if (after_first - sum_of_balances(database) != expected) {
    fmt::print("FAILED: the pass a minute later did not charge one more minute for every pod\n");
    status = 1;
  }
  const long rss_after = peak_rss_mib();

  // Baselines on the same database.
  t0 = std::chrono::steady_clock::now();
  const auto read_count = database.run_sync([](db::Conn& c) {
    db::FindOptions o;
    db::Doc p;
    p.append("price_per_hour_micros", std::int32_t{1}).append("running_since", std::int32_t{1});
    o.projection = p;
    return c.collection(db::collections::kPod).find(db::Doc(), o).size();
  });
  const double read_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  database.run_sync([pod_count](db::Conn& c) {
    auto bulk = c.collection("BenchScratch").bulk();
    for (std::int64_t i = 0; i < pod_count; ++i) {
      db::Doc d;
      d.append("_id", fmt::format("scratch:{}", i)).append("amount_micros", std::int64_t{-1});
      bulk.insert(d);
    }
    bulk.execute();
  });
  const double insert_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < sample; ++i) {
    billing::Change c;
    c.id = fmt::format("bench-one-by-one:{}", i);
    c.kind = billing::EntryKind::charge;
    c.amount = core::Micros(-1);
    c.reason = "bench";
    run(ledger.apply(users[static_cast<std::size_t>(i % user_count)], std::move(c)));
  }
  const double one_by_one_s = seconds_since(t0);

  fmt::print("{:<44} {:>10} {:>10}\n", "", "wall", "our CPU");
  print_pass("pass 1 (first sight, 1 minute due each)", first_s, first_cpu, first);
  print_pass("pass 2 (same instant: nothing due)", second_s, second_cpu, second);
  print_pass("pass 3 (a minute later: steady state)", third_s, third_cpu, third);
  fmt::print("\nbaselines on the same database:\n");
  fmt::print("{:<44} {:>8.3f} s  ({} documents)\n", "  read every pod (find, projection)", read_s,
             read_count);
  fmt::print("{:<44} {:>8.3f} s  ({} documents)\n", "  one unordered insert of bare documents",
             insert_s, pod_count);
  const double per_entry = sample > 0 ? one_by_one_s / static_cast<double>(sample) : 0;
  fmt::print("{:<44} {:>8.3f} s  ({} charges: {:.2f} ms each; x{} = {:.1f} s)\n",
             "  Ledger::apply one by one (sample)", one_by_one_s, sample, per_entry * 1000,
             pod_count, per_entry * static_cast<double>(pod_count));
  fmt::print(
      "\nratios: pass 3 / read-only floor {:.1f} x; one-by-one extrapolated / pass 3 {:.1f} x\n",
      third_s / read_s, per_entry * static_cast<double>(pod_count) / third_s);
  fmt::print("peak RSS: {} MiB before the passes, {} MiB after (the passes' share: {} MiB)\n",
             rss_before, rss_after, rss_after - rss_before);
  // One line for bench/billing_pass/run's table.
  fmt::print(
      "RESULT pods={} users={} pass1={:.3f} pass2={:.3f} pass3={:.3f} read={:.3f} "
      "ledger3={:.3f} save3={:.3f} rss={} cpu3={:.3f}\n",
      pod_count, user_count, first_s, second_s, third_s, read_s,
      static_cast<double>(third.ledger_ms) / 1000, static_cast<double>(third.save_ms) / 1000,
      rss_after, third_cpu);

  if (!keep) {
    database.run_sync([](db::Conn& c) { c.drop_database(); });
  } else {
    fmt::print("kept database {}\n", cfg.name);
  }
  database.close();
  return status;
}
