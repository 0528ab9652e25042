#pragma once
// /api/billing/summary, /api/billing/transactions, /api/billing/usage (the signed-in user's own
// billing) and /api/admin/billing/summary, /api/admin/billing/usage (every user). Thin: parse,
// call Reports or the ledger, answer.
#include "billing/ledger.hpp"
#include "http/router.hpp"
#include "metering/reports.hpp"

namespace neuropod::metering {

class BillingRoutes {
 public:
  BillingRoutes(Reports& reports, billing::Ledger& ledger) : reports_(reports), ledger_(ledger) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> summary(http::Request& req);
  boost::asio::awaitable<http::Response> transactions(http::Request& req);
  boost::asio::awaitable<http::Response> usage(http::Request& req);
  boost::asio::awaitable<http::Response> admin_summary(http::Request& req);
  boost::asio::awaitable<http::Response> admin_usage(http::Request& req);

  Reports& reports_;
  billing::Ledger& ledger_;
};

}  // namespace neuropod::metering
