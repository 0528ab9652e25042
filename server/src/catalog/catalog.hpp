#pragma once
// What can be launched and at what price: templates (the `Template` collection) and the platform
// settings (resource tiers and prices, initial balance, limits, workspace, idle timeout, domain).
// Settings are one document in the `Template` collection (`_id: "settings"`, `kind: "settings"`;
// the database keeps the plan's six collections); templates have `kind: "template"`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/money.hpp"
#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::catalog {

struct Port {
  std::int64_t port = 0;
  std::string name;
  std::string protocol = "http";  // http | tcp
};

struct EnvVar {
  std::string name;
  std::string value;
};

struct Resources {
  std::string cpu = "1";       // Kubernetes quantity
  std::string memory = "2Gi";  // Kubernetes quantity
  std::int64_t gpus = 0;       // nvidia.com/gpu
  std::string ephemeral_storage = "10Gi";
};

struct Template {
  db::Oid id;
  std::string slug;
  std::string name;
  std::string description;
  std::string category;
  std::string icon;
  std::string image;
  std::vector<Port> ports;
  std::vector<EnvVar> env;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string workspace_path = "/workspace";
  Resources resources;
  core::Micros price_per_hour;
  bool enabled = true;
  core::TimePoint created_at;
  core::TimePoint updated_at;
};

struct Tier {
  std::string id;
  std::string name;
  std::string cpu;
  std::string memory;
  core::Micros price_per_hour;
};

struct Settings {
  std::vector<Tier> tiers;
  core::Micros gpu_price_per_hour;  // per GPU, added to the tier's price (custom images)
  core::Micros initial_balance;
  std::vector<std::int64_t> low_balance_warning_minutes = {60, 10};
  std::int64_t min_runway_minutes = 10;
  std::int64_t max_running_pods_per_user = 3;
  std::string workspace_size = "20Gi";
  std::string workspace_storage_class;     // empty: the cluster's default
  std::int64_t idle_timeout_minutes = 60;  // 0 = never cull
  bool allow_keep_running = true;
  std::string base_domain = "neuropod.online";
  core::TimePoint updated_at;
  std::string updated_by;
};

// Validation of what users and admins send (throws core::ValidationError, per field).
bool is_image_reference(std::string_view ref);
bool is_quantity(std::string_view q);
Template template_from_json(const nlohmann::json& body);
Settings settings_from_json(const nlohmann::json& body);
std::vector<Port> ports_from_json(const nlohmann::json& value, const std::string& field,
                                  std::vector<core::FieldError>& errors);
std::vector<EnvVar> env_from_json(const nlohmann::json& value, const std::string& field,
                                  std::vector<core::FieldError>& errors);

// Hourly price of a custom image: the tier's price plus the price per GPU for each GPU.
// Throws core::ValidationError("tier") for an unknown tier, ("gpus") outside 0..16.
core::Micros custom_price(const Settings& s, std::string_view tier_id, std::int64_t gpus);

nlohmann::json to_json(const Template& t);
// The API shapes of the parts, and back (lenient: what was stored by to_json; bad items skipped).
nlohmann::json ports_json(const std::vector<Port>& ports);
nlohmann::json env_json(const std::vector<EnvVar>& env);
nlohmann::json resources_json(const Resources& r);
std::vector<Port> ports_of(const nlohmann::json& j);
std::vector<EnvVar> env_of(const nlohmann::json& j);
Resources resources_of(const nlohmann::json& j);
nlohmann::json to_json(const Settings& s);
nlohmann::json pricing_json(const Settings& s);

// Defaults written on first start (never overwritten afterwards).
std::vector<Template> default_templates();
Settings default_settings(core::Micros initial_balance);

class Catalog {
 public:
  Catalog(db::Database& db, const core::Clock& clock, core::Micros initial_balance)
      : db_(db), clock_(clock), initial_balance_(initial_balance) {}

  // Creates the settings document and the default templates the first time only. Idempotent.
  boost::asio::awaitable<void> seed();

  boost::asio::awaitable<std::vector<Template>> list(bool enabled_only);
  boost::asio::awaitable<std::optional<Template>> find(db::Oid id);
  boost::asio::awaitable<std::optional<Template>> find_by_slug(std::string slug);
  // Throws core::Conflict when the slug is taken.
  boost::asio::awaitable<Template> create(Template t);
  boost::asio::awaitable<Template> replace(db::Oid id, Template t);
  boost::asio::awaitable<void> remove(db::Oid id);

  boost::asio::awaitable<Settings> settings();
  boost::asio::awaitable<Settings> update_settings(Settings s, std::string admin_email);

 private:
  db::Database& db_;
  const core::Clock& clock_;
  core::Micros initial_balance_;
};

}  // namespace neuropod::catalog
