#include "catalog/catalog.hpp"

#include <regex>
#include <set>

#include "core/errors.hpp"
#include "core/fields.hpp"
#include "core/logging.hpp"
#include "db/schema.hpp"

namespace neuropod::catalog {

namespace {

constexpr std::string_view kSettingsId = "settings";
constexpr std::int64_t kMaxPriceMicros = 1'000'000'000'000;  // 1,000,000 EUR per hour
constexpr std::int64_t kWeekMinutes = std::int64_t{7} * 24 * 60;

// Docker's reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
const std::regex& image_regex() {
  static const std::regex re(
      R"(^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)/)?)"
      R"([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
      R"((?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$)",
      std::regex::ECMAScript | std::regex::optimize);
  return re;
}

const std::regex& quantity_regex() {
  static const std::regex re(R"(^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$)",
                             std::regex::ECMAScript | std::regex::optimize);
  return re;
}

const std::regex& slug_regex() {
  static const std::regex re(R"(^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$)", std::regex::ECMAScript);
  return re;
}

const std::regex& env_name_regex() {
  static const std::regex re(R"(^[A-Za-z_][A-Za-z0-9_]{0,127}$)", std::regex::ECMAScript);
  return re;
}

const std::regex& domain_regex() {
  static const std::regex re(R"(^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$)",
                             std::regex::ECMAScript);
  return re;
}

std::vector<std::string> string_list(core::Fields& f, const std::string& key, std::size_t max_items,
                                     std::size_t max_len) {
  std::vector<std::string> out;
  const auto* v = f.value(key, false);
  if (v == nullptr) {
    return out;
  }
  if (!v->is_array() || v->size() > max_items) {
    f.fail(key, "must be a list of at most " + std::to_string(max_items) + " strings");
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.is_string() || item.get<std::string>().size() > max_len) {
      f.fail(key + "[" + std::to_string(i) + "]",
             "must be a string of at most " + std::to_string(max_len) + " characters");
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string quantity(core::Fields& f, const std::string& key, bool required,
                     const std::string& fallback) {
  auto v = f.string(key, required, 1, 32);
  if (!v) {
    return fallback;
  }
  if (!is_quantity(*v)) {
    f.fail(key, "is not a Kubernetes quantity (e.g. 500m, 2, 8Gi)");
  }
  return *v;
}

db::Array to_array(const std::vector<std::string>& items) {
  db::Array a;
  for (const auto& s : items) {
    a.push(s);
  }
  return a;
}

db::Doc template_doc(const Template& t, bool with_id) {
  db::Array ports;
  for (const auto& p : t.ports) {
    db::Doc d;
    d.append("port", p.port).append("name", p.name).append("protocol", p.protocol);
    ports.push(d);
  }
  db::Array env;
  for (const auto& e : t.env) {
    db::Doc d;
    d.append("name", e.name).append("value", e.value);
    env.push(d);
  }
  db::Doc resources;
  resources.append("cpu", t.resources.cpu)
      .append("memory", t.resources.memory)
      .append("gpus", t.resources.gpus)
      .append("ephemeral_storage", t.resources.ephemeral_storage);
  db::Doc d;
  if (with_id) {
    d.append("_id", t.id);
  }
  d.append("kind", "template")
      .append("slug", t.slug)
      .append("name", t.name)
      .append("description", t.description)
      .append("category", t.category)
      .append("icon", t.icon)
      .append("image", t.image)
      .append("ports", ports)
      .append("env", env)
      .append("command", to_array(t.command))
      .append("args", to_array(t.args))
      .append("workspace_path", t.workspace_path)
      .append("resources", resources)
      .append("price_per_hour_micros", t.price_per_hour.value())
      .append("enabled", t.enabled)
      .append("created_at", t.created_at)
      .append("updated_at", t.updated_at);
  return d;
}

Template template_from_doc(const db::Doc& d) {
  Template t;
  t.id = d.get_oid("_id").value_or(db::Oid{});
  t.slug = d.get_string("slug").value_or("");
  t.name = d.get_string("name").value_or("");
  t.description = d.get_string("description").value_or("");
  t.category = d.get_string("category").value_or("");
  t.icon = d.get_string("icon").value_or("");
  t.image = d.get_string("image").value_or("");
  for (const auto& p : d.get_doc_array("ports")) {
    t.ports.push_back(Port{p.get_int64("port").value_or(0), p.get_string("name").value_or(""),
                           p.get_string("protocol").value_or("http")});
  }
  for (const auto& e : d.get_doc_array("env")) {
    t.env.push_back(EnvVar{e.get_string("name").value_or(""), e.get_string("value").value_or("")});
  }
  t.command = d.get_string_array("command");
  t.args = d.get_string_array("args");
  t.workspace_path = d.get_string("workspace_path").value_or("/workspace");
  if (auto r = d.get_doc("resources")) {
    t.resources.cpu = r->get_string("cpu").value_or("1");
    t.resources.memory = r->get_string("memory").value_or("2Gi");
    t.resources.gpus = r->get_int64("gpus").value_or(0);
    t.resources.ephemeral_storage = r->get_string("ephemeral_storage").value_or("10Gi");
  }
  t.price_per_hour = core::Micros(d.get_int64("price_per_hour_micros").value_or(0));
  t.enabled = d.get_bool("enabled").value_or(false);
  t.created_at = d.get_time("created_at").value_or(core::TimePoint{});
  t.updated_at = d.get_time("updated_at").value_or(t.created_at);
  return t;
}

db::Doc settings_doc(const Settings& s, bool with_id) {
  db::Array tiers;
  for (const auto& t : s.tiers) {
    db::Doc d;
    d.append("id", t.id)
        .append("name", t.name)
        .append("cpu", t.cpu)
        .append("memory", t.memory)
        .append("price_per_hour_micros", t.price_per_hour.value());
    tiers.push(d);
  }
  db::Array warnings;
  for (auto m : s.low_balance_warning_minutes) {
    warnings.push(m);
  }
  db::Doc d;
  if (with_id) {
    d.append("_id", kSettingsId);
  }
  d.append("kind", "settings")
      .append("slug", "__settings__")
      .append("tiers", tiers)
      .append("gpu_price_per_hour_micros", s.gpu_price_per_hour.value())
      .append("initial_balance_micros", s.initial_balance.value())
      .append("low_balance_warning_minutes", warnings)
      .append("min_runway_minutes", s.min_runway_minutes)
      .append("max_running_pods_per_user", s.max_running_pods_per_user)
      .append("workspace_size", s.workspace_size)
      .append("workspace_storage_class", s.workspace_storage_class)
      .append("idle_timeout_minutes", s.idle_timeout_minutes)
      .append("allow_keep_running", s.allow_keep_running)
      .append("base_domain", s.base_domain)
      .append("updated_at", s.updated_at)
      .append("updated_by", s.updated_by);
  return d;
}

Settings settings_from_doc(const db::Doc& d, const Settings& defaults) {
  Settings s = defaults;
  s.tiers.clear();
  for (const auto& t : d.get_doc_array("tiers")) {
    s.tiers.push_back(Tier{t.get_string("id").value_or(""), t.get_string("name").value_or(""),
                           t.get_string("cpu").value_or("1"),
                           t.get_string("memory").value_or("1Gi"),
                           core::Micros(t.get_int64("price_per_hour_micros").value_or(0))});
  }
  s.gpu_price_per_hour = core::Micros(d.get_int64("gpu_price_per_hour_micros").value_or(0));
  s.initial_balance = core::Micros(
      d.get_int64("initial_balance_micros").value_or(defaults.initial_balance.value()));
  if (d.has("low_balance_warning_minutes")) {
    s.low_balance_warning_minutes.clear();
    // A named copy: iterating a member of the temporary to_json() would dangle (ASan found it).
    const auto doc_json = d.to_json();
    for (const auto& v : doc_json.at("low_balance_warning_minutes")) {
      if (v.is_number_integer()) {
        s.low_balance_warning_minutes.push_back(v.get<std::int64_t>());
      }
    }
  }
  s.min_runway_minutes = d.get_int64("min_runway_minutes").value_or(s.min_runway_minutes);
  s.max_running_pods_per_user =
      d.get_int64("max_running_pods_per_user").value_or(s.max_running_pods_per_user);
  s.workspace_size = d.get_string("workspace_size").value_or(s.workspace_size);
  s.workspace_storage_class =
      d.get_string("workspace_storage_class").value_or(s.workspace_storage_class);
  s.idle_timeout_minutes = d.get_int64("idle_timeout_minutes").value_or(s.idle_timeout_minutes);
  s.allow_keep_running = d.get_bool("allow_keep_running").value_or(s.allow_keep_running);
  s.base_domain = d.get_string("base_domain").value_or(s.base_domain);
  s.updated_at = d.get_time("updated_at").value_or(core::TimePoint{});
  s.updated_by = d.get_string("updated_by").value_or("");
  return s;
}

db::Doc by_id(const db::Oid& id) {
  db::Doc f;
  f.append("_id", id).append("kind", "template");
  return f;
}

}  // namespace

bool is_image_reference(std::string_view ref) {
  return !ref.empty() && ref.size() <= 255 &&
         std::regex_match(ref.begin(), ref.end(), image_regex());
}

bool is_quantity(std::string_view q) {
  return !q.empty() && q.size() <= 32 && std::regex_match(q.begin(), q.end(), quantity_regex());
}

namespace {

// A JSON list of objects, each read by `one(Fields&)` with field names like "ports[2].port".
template <typename T, typename One>
std::vector<T> object_list(const nlohmann::json& value, const std::string& field,
                           std::size_t max_items, const std::string& what,
                           std::vector<core::FieldError>& errors, One&& one) {
  std::vector<T> out;
  if (!value.is_array() || value.size() > max_items) {
    errors.push_back(
        {field, "must be a list of at most " + std::to_string(max_items) + " " + what});
    return out;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto item = field + "[" + std::to_string(i) + "]";
    if (!value[i].is_object()) {
      errors.push_back({item, "must be an object"});
      continue;
    }
    core::Fields f(value[i], item + ".");
    out.push_back(one(f));
    errors.insert(errors.end(), f.errors().begin(), f.errors().end());
  }
  return out;
}

std::vector<Tier> tiers_from_json(const nlohmann::json& value,
                                  std::vector<core::FieldError>& errors) {
  std::set<std::string> ids;
  return object_list<Tier>(value, "tiers", 20, "tiers", errors, [&ids](core::Fields& f) {
    Tier t;
    t.id = f.string("id", true, 1, 40).value_or("");
    if (!t.id.empty() && !std::regex_match(t.id, slug_regex())) {
      f.fail("id", "must be lower-case letters, digits and -");
    } else if (!t.id.empty() && !ids.insert(t.id).second) {
      f.fail("id", "appears twice");
    }
    t.name = f.string("name", true, 1, 80).value_or("");
    t.cpu = quantity(f, "cpu", true, "1");
    t.memory = quantity(f, "memory", true, "1Gi");
    t.price_per_hour =
        core::Micros(f.integer("price_per_hour_micros", true, 0, kMaxPriceMicros).value_or(0));
    return t;
  });
}

}  // namespace

std::vector<Port> ports_from_json(const nlohmann::json& value, const std::string& field,
                                  std::vector<core::FieldError>& errors) {
  std::set<std::int64_t> seen;
  return object_list<Port>(value, field, 16, "ports", errors, [&seen](core::Fields& f) {
    Port p;
    p.port = f.integer("port", true, 1, 65535).value_or(0);
    p.name = f.string("name", false, 1, 32).value_or("port-" + std::to_string(p.port));
    p.protocol = f.string("protocol", false, 2, 4).value_or("http");
    if (p.protocol != "http" && p.protocol != "tcp") {
      f.fail("protocol", "must be http or tcp");
    }
    if (p.port != 0 && !seen.insert(p.port).second) {
      f.fail("port", "appears twice");
    }
    return p;
  });
}

std::vector<EnvVar> env_from_json(const nlohmann::json& value, const std::string& field,
                                  std::vector<core::FieldError>& errors) {
  std::set<std::string> seen;
  return object_list<EnvVar>(value, field, 64, "variables", errors, [&seen](core::Fields& f) {
    EnvVar e;
    e.name = f.string("name", true, 1, 128).value_or("");
    e.value = f.string("value", false, 0, 8192).value_or("");
    if (!e.name.empty() && !std::regex_match(e.name, env_name_regex())) {
      f.fail("name", "must be letters, digits and _ (not starting with a digit)");
    } else if (!e.name.empty() && !seen.insert(e.name).second) {
      f.fail("name", "appears twice");
    }
    return e;
  });
}

Template template_from_json(const nlohmann::json& body) {
  core::Fields f(body);
  Template t;
  t.slug = f.string("slug", true, 1, 40).value_or("");
  if (!t.slug.empty() && !std::regex_match(t.slug, slug_regex())) {
    f.fail("slug", "must be lower-case letters, digits and -, starting and ending alphanumeric");
  }
  t.name = f.string("name", true, 1, 80).value_or("");
  t.description = f.string("description", false, 0, 2000).value_or("");
  t.category = f.string("category", false, 0, 40).value_or("");
  t.icon = f.string("icon", false, 0, 200).value_or("");
  t.image = f.string("image", true, 1, 255).value_or("");
  if (!t.image.empty() && !is_image_reference(t.image)) {
    f.fail("image",
           "is not a valid image reference (e.g. ubuntu:24.04, ghcr.io/org/app@sha256:...)");
  }
  if (const auto* ports = f.value("ports", false)) {
    t.ports = ports_from_json(*ports, "ports", f.errors());
  }
  if (const auto* env = f.value("env", false)) {
    t.env = env_from_json(*env, "env", f.errors());
  }
  t.command = string_list(f, "command", 32, 4096);
  t.args = string_list(f, "args", 64, 4096);
  t.workspace_path = f.string("workspace_path", false, 1, 200).value_or("/workspace");
  if (t.workspace_path.front() != '/' || t.workspace_path.find("..") != std::string::npos ||
      t.workspace_path == "/") {
    f.fail("workspace_path", "must be an absolute path other than / (no ..)");
  }
  if (const auto* r = f.value("resources", true)) {
    if (!r->is_object()) {
      f.fail("resources", "must be an object");
    } else {
      core::Fields rf(*r, "resources.");
      t.resources.cpu = quantity(rf, "cpu", true, "1");
      t.resources.memory = quantity(rf, "memory", true, "2Gi");
      t.resources.gpus = rf.integer("gpus", false, 0, 16).value_or(0);
      t.resources.ephemeral_storage = quantity(rf, "ephemeral_storage", false, "10Gi");
      f.absorb(rf);
    }
  }
  t.price_per_hour =
      core::Micros(f.integer("price_per_hour_micros", true, 0, kMaxPriceMicros).value_or(0));
  t.enabled = f.boolean("enabled", false).value_or(true);
  f.throw_if_any();
  return t;
}

Settings settings_from_json(const nlohmann::json& body) {
  core::Fields f(body);
  Settings s;
  if (const auto* tiers = f.value("tiers", true)) {
    if (tiers->is_array() && tiers->empty()) {
      f.fail("tiers", "must have at least one tier");
    }
    s.tiers = tiers_from_json(*tiers, f.errors());
  }
  s.gpu_price_per_hour =
      core::Micros(f.integer("gpu_price_per_hour_micros", true, 0, kMaxPriceMicros).value_or(0));
  s.initial_balance =
      core::Micros(f.integer("initial_balance_micros", true, 0, kMaxPriceMicros).value_or(0));
  if (const auto* w = f.value("low_balance_warning_minutes", true)) {
    s.low_balance_warning_minutes.clear();
    if (!w->is_array() || w->size() > 5) {
      f.fail("low_balance_warning_minutes", "must be a list of at most 5 numbers of minutes");
    } else {
      for (std::size_t i = 0; i < w->size(); ++i) {
        const auto& v = (*w)[i];
        if (!v.is_number_integer() || v.get<std::int64_t>() < 1 ||
            v.get<std::int64_t>() > kWeekMinutes) {
          f.fail("low_balance_warning_minutes[" + std::to_string(i) + "]",
                 "must be from 1 to 10080");
          continue;
        }
        s.low_balance_warning_minutes.push_back(v.get<std::int64_t>());
      }
      std::sort(s.low_balance_warning_minutes.rbegin(), s.low_balance_warning_minutes.rend());
    }
  }
  s.min_runway_minutes = f.integer("min_runway_minutes", true, 0, kWeekMinutes).value_or(10);
  s.max_running_pods_per_user = f.integer("max_running_pods_per_user", true, 1, 100).value_or(3);
  s.workspace_size = quantity(f, "workspace_size", true, "20Gi");
  s.workspace_storage_class = f.string("workspace_storage_class", false, 0, 63).value_or("");
  s.idle_timeout_minutes = f.integer("idle_timeout_minutes", true, 0, kWeekMinutes).value_or(60);
  s.allow_keep_running = f.boolean("allow_keep_running", true).value_or(true);
  s.base_domain = f.string("base_domain", true, 1, 200).value_or("");
  if (!s.base_domain.empty() && !std::regex_match(s.base_domain, domain_regex())) {
    f.fail("base_domain", "must be a lower-case DNS domain such as neuropod.online");
  }
  f.throw_if_any();
  return s;
}

core::Micros custom_price(const Settings& s, std::string_view tier_id, std::int64_t gpus) {
  if (gpus < 0 || gpus > 16) {
    throw core::ValidationError("gpus", "must be from 0 to 16");
  }
  for (const auto& t : s.tiers) {
    if (t.id == tier_id) {
      return t.price_per_hour + core::Micros(s.gpu_price_per_hour.value() * gpus);
    }
  }
  throw core::ValidationError("tier", "is not one of the tiers in the price list");
}

nlohmann::json ports_json(const std::vector<Port>& ports) {
  auto out = nlohmann::json::array();
  for (const auto& p : ports) {
    out.push_back({{"port", p.port}, {"name", p.name}, {"protocol", p.protocol}});
  }
  return out;
}

nlohmann::json env_json(const std::vector<EnvVar>& env) {
  auto out = nlohmann::json::array();
  for (const auto& e : env) {
    out.push_back({{"name", e.name}, {"value", e.value}});
  }
  return out;
}

nlohmann::json resources_json(const Resources& r) {
  return {{"cpu", r.cpu},
          {"memory", r.memory},
          {"gpus", r.gpus},
          {"ephemeral_storage", r.ephemeral_storage}};
}

Resources resources_of(const nlohmann::json& j) {
  Resources r;
  if (!j.is_object()) {
    return r;
  }
  r.cpu = j.value("cpu", r.cpu);
  r.memory = j.value("memory", r.memory);
  r.gpus = j.value("gpus", r.gpus);
  r.ephemeral_storage = j.value("ephemeral_storage", r.ephemeral_storage);
  return r;
}

std::vector<Port> ports_of(const nlohmann::json& j) {
  std::vector<Port> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& p : j) {
    if (p.is_object()) {
      out.push_back(Port{p.value("port", std::int64_t{0}), p.value("name", std::string()),
                         p.value("protocol", std::string("http"))});
    }
  }
  return out;
}

std::vector<EnvVar> env_of(const nlohmann::json& j) {
  std::vector<EnvVar> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& e : j) {
    if (e.is_object()) {
      out.push_back(EnvVar{e.value("name", std::string()), e.value("value", std::string())});
    }
  }
  return out;
}

nlohmann::json to_json(const Template& t) {
  auto ports = ports_json(t.ports);
  auto env = env_json(t.env);
  return {{"id", t.id.to_string()},
          {"slug", t.slug},
          {"name", t.name},
          {"description", t.description},
          {"category", t.category},
          {"icon", t.icon},
          {"image", t.image},
          {"ports", ports},
          {"env", env},
          {"command", t.command},
          {"args", t.args},
          {"workspace_path", t.workspace_path},
          {"resources", resources_json(t.resources)},
          {"price_per_hour_micros", t.price_per_hour.value()},
          {"enabled", t.enabled},
          {"created_at", core::to_iso8601(t.created_at)},
          {"updated_at", core::to_iso8601(t.updated_at)}};
}

nlohmann::json to_json(const Settings& s) {
  auto tiers = nlohmann::json::array();
  for (const auto& t : s.tiers) {
    tiers.push_back({{"id", t.id},
                     {"name", t.name},
                     {"cpu", t.cpu},
                     {"memory", t.memory},
                     {"price_per_hour_micros", t.price_per_hour.value()}});
  }
  return {{"tiers", tiers},
          {"gpu_price_per_hour_micros", s.gpu_price_per_hour.value()},
          {"initial_balance_micros", s.initial_balance.value()},
          {"low_balance_warning_minutes", s.low_balance_warning_minutes},
          {"min_runway_minutes", s.min_runway_minutes},
          {"max_running_pods_per_user", s.max_running_pods_per_user},
          {"workspace_size", s.workspace_size},
          {"workspace_storage_class", s.workspace_storage_class},
          {"idle_timeout_minutes", s.idle_timeout_minutes},
          {"allow_keep_running", s.allow_keep_running},
          {"base_domain", s.base_domain}};
}

nlohmann::json pricing_json(const Settings& s) {
  auto j = to_json(s);
  return {{"tiers", j["tiers"]},
          {"gpu_price_per_hour_micros", j["gpu_price_per_hour_micros"]},
          {"min_runway_minutes", j["min_runway_minutes"]},
          {"max_running_pods_per_user", j["max_running_pods_per_user"]},
          {"idle_timeout_minutes", j["idle_timeout_minutes"]},
          {"base_domain", j["base_domain"]}};
}

std::vector<Template> default_templates() {
  Template comfy;
  comfy.slug = "comfyui";
  comfy.name = "ComfyUI";
  comfy.description =
      "Node-based Stable Diffusion / FLUX workflows in the browser. Models and outputs live in "
      "/workspace and survive restarts.";
  comfy.category = "AI";
  comfy.icon = "comfyui";
  comfy.image = "yanwk/comfyui-boot:cu124-slim";
  comfy.ports = {Port{8188, "web", "http"}};
  comfy.env = {EnvVar{"CLI_ARGS", "--listen 0.0.0.0 --port 8188"}};
  comfy.workspace_path = "/workspace";
  comfy.resources = Resources{"4", "16Gi", 1, "50Gi"};
  comfy.price_per_hour = core::Micros(800'000);

  Template ubuntu;
  ubuntu.slug = "ubuntu";
  ubuntu.name = "Ubuntu 24.04";
  ubuntu.description = "A plain Ubuntu 24.04 machine with a persistent /workspace.";
  ubuntu.category = "OS";
  ubuntu.icon = "ubuntu";
  ubuntu.image = "ubuntu:24.04";
  ubuntu.command = {"/bin/sh", "-c", "trap 'exit 0' TERM; sleep infinity & wait"};
  ubuntu.workspace_path = "/workspace";
  ubuntu.resources = Resources{"1", "2Gi", 0, "10Gi"};
  ubuntu.price_per_hour = core::Micros(50'000);
  return {comfy, ubuntu};
}

Settings default_settings(core::Micros initial_balance) {
  Settings s;
  s.tiers = {Tier{"cpu-small", "Small (1 CPU, 2 GiB)", "1", "2Gi", core::Micros(50'000)},
             Tier{"cpu-medium", "Medium (2 CPU, 8 GiB)", "2", "8Gi", core::Micros(150'000)},
             Tier{"cpu-large", "Large (8 CPU, 32 GiB)", "8", "32Gi", core::Micros(500'000)}};
  s.gpu_price_per_hour = core::Micros(600'000);
  s.initial_balance = initial_balance;
  return s;
}

boost::asio::awaitable<void> Catalog::seed() {
  auto settings = default_settings(initial_balance_);
  const auto now = clock_.now();
  settings.updated_at = now;
  settings.updated_by = "seed";
  auto templates = default_templates();
  for (auto& t : templates) {
    t.id = db::Oid::generate();
    t.created_at = t.updated_at = now;
  }
  co_await db_.run([&settings, &templates](db::Conn& c) {
    auto coll = c.collection(db::collections::kTemplate);
    db::Doc filter;
    filter.append("_id", kSettingsId);
    if (coll.find_one(filter)) {
      return;  // seeded before: never overwrite the admin's choices
    }
    for (const auto& t : templates) {
      try {
        coll.insert_one(template_doc(t, true));
      } catch (const db::DuplicateKey&) {
        // An admin (or another instance) created this slug already.
      }
    }
    try {
      coll.insert_one(settings_doc(settings, true));
      log::info("catalog.seeded", {{"templates", templates.size()}});
    } catch (const db::DuplicateKey&) {
    }
  });
}

boost::asio::awaitable<std::vector<Template>> Catalog::list(bool enabled_only) {
  db::Doc filter;
  filter.append("kind", "template");
  if (enabled_only) {
    filter.append("enabled", true);
  }
  db::FindOptions options;
  db::Doc sort;
  sort.append("name", std::int32_t{1});
  options.sort = sort;
  auto docs = co_await db_.run([&filter, &options](db::Conn& c) {
    return c.collection(db::collections::kTemplate).find(filter, options);
  });
  std::vector<Template> out;
  out.reserve(docs.size());
  for (const auto& d : docs) {
    out.push_back(template_from_doc(d));
  }
  co_return out;
}

boost::asio::awaitable<std::optional<Template>> Catalog::find(db::Oid id) {
  auto filter = by_id(id);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kTemplate).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return template_from_doc(*doc);
}

boost::asio::awaitable<std::optional<Template>> Catalog::find_by_slug(std::string slug) {
  db::Doc filter;
  filter.append("kind", "template").append("slug", slug);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kTemplate).find_one(filter); });
  if (!doc) {
    co_return std::nullopt;
  }
  co_return template_from_doc(*doc);
}

boost::asio::awaitable<Template> Catalog::create(Template t) {
  t.id = db::Oid::generate();
  t.created_at = t.updated_at = clock_.now();
  auto doc = template_doc(t, true);
  try {
    co_await db_.run(
        [&doc](db::Conn& c) { c.collection(db::collections::kTemplate).insert_one(doc); });
  } catch (const db::DuplicateKey&) {
    throw core::Conflict("A template with this slug exists already", {{"slug", t.slug}});
  }
  co_return t;
}

boost::asio::awaitable<Template> Catalog::replace(db::Oid id, Template t) {
  auto existing = co_await find(id);
  if (!existing) {
    throw core::NotFound("Template");
  }
  t.id = id;
  t.created_at = existing->created_at;
  t.updated_at = clock_.now();
  auto filter = by_id(id);
  auto doc = template_doc(t, false);
  // Every field is set: a whole replacement that keeps _id.
  db::Doc change;
  change.append("$set", doc);
  try {
    const auto r = co_await db_.run([&filter, &change](db::Conn& c) {
      return c.collection(db::collections::kTemplate).update_one(filter, change);
    });
    if (r.matched == 0) {
      throw core::NotFound("Template");
    }
  } catch (const db::DuplicateKey&) {
    throw core::Conflict("A template with this slug exists already", {{"slug", t.slug}});
  }
  co_return t;
}

boost::asio::awaitable<void> Catalog::remove(db::Oid id) {
  auto filter = by_id(id);
  const auto n = co_await db_.run([&filter](db::Conn& c) {
    return c.collection(db::collections::kTemplate).delete_one(filter);
  });
  if (n == 0) {
    throw core::NotFound("Template");
  }
}

boost::asio::awaitable<Settings> Catalog::settings() {
  db::Doc filter;
  filter.append("_id", kSettingsId);
  auto doc = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kTemplate).find_one(filter); });
  const auto defaults = default_settings(initial_balance_);
  if (!doc) {
    co_return defaults;
  }
  co_return settings_from_doc(*doc, defaults);
}

boost::asio::awaitable<Settings> Catalog::update_settings(Settings s, std::string admin_email) {
  s.updated_at = clock_.now();
  s.updated_by = std::move(admin_email);
  db::Doc filter;
  filter.append("_id", kSettingsId);
  auto doc = settings_doc(s, false);
  db::Doc change;
  change.append("$set", doc);
  co_await db_.run([&filter, &change](db::Conn& c) {
    c.collection(db::collections::kTemplate).update_one(filter, change, true);
  });
  co_return s;
}

}  // namespace neuropod::catalog
