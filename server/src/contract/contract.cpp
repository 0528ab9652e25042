#include "contract/contract.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "http/message.hpp"

namespace neuropod::contract {

namespace {

using nlohmann::json;

constexpr auto kMethods = std::to_array<std::string_view>(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"});

// "GET /api/pods/{id}"
std::string operation_key(std::string_view method, std::string_view pattern) {
  std::string out;
  out.reserve(method.size() + 1 + pattern.size());
  out.append(method).append(" ").append(pattern);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool all_digits(std::string_view s, bool hex = false) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return hex ? std::isxdigit(u) != 0 : std::isdigit(u) != 0;
  });
}

// [-+]?[0-9]+ with no fraction or exponent.
bool is_decimal_integer(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    s.remove_prefix(1);
  }
  return all_digits(s);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_decimal_float(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    s.remove_prefix(1);
  }
  const auto e = s.find_first_of("eE");
  auto mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    auto exponent = s.substr(e + 1);
    if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
      exponent.remove_prefix(1);
    }
    if (!all_digits(exponent)) {
      return false;
    }
  }
  const auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) {
    return all_digits(mantissa);
  }
  const auto whole = mantissa.substr(0, dot);
  const auto fraction = mantissa.substr(dot + 1);
  return (whole.empty() || all_digits(whole)) && (fraction.empty() || all_digits(fraction)) &&
         !(whole.empty() && fraction.empty());
}

std::optional<std::int64_t> to_int(std::string_view s, int base = 10) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<double> to_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  double out = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return out;
}

// A plain (unquoted, untagged) scalar, resolved with YAML 1.2's core schema.
json plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (is_decimal_integer(s)) {
    if (auto i = to_int(s)) {
      return *i;
    }
    if (auto d = to_double(s)) {
      return *d;  // out of the int64 range
    }
  }
  const std::string_view sv(s);
  if (sv.size() > 2 && sv.substr(0, 2) == "0x" && all_digits(sv.substr(2), true)) {
    if (auto i = to_int(sv.substr(2), 16)) {
      return *i;
    }
  }
  if (sv.size() > 2 && sv.substr(0, 2) == "0o" && all_digits(sv.substr(2))) {
    if (auto i = to_int(sv.substr(2), 8)) {
      return *i;
    }
  }
  if (is_decimal_float(s)) {
    if (auto d = to_double(s)) {
      return *d;
    }
  }
  return s;  // .inf and .nan too: JSON has neither
}

json convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!"; explicit tags keep theirs.
      return node.Tag() == "?" ? plain_scalar(node.Scalar()) : json(node.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) {
        out.push_back(convert(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          throw std::runtime_error("YAML map keys must be scalars (line " +
                                   std::to_string(kv.first.Mark().line + 1) + ")");
        }
        out[kv.first.Scalar()] = convert(kv.second);
      }
      return out;
    }
  }
  return nullptr;
}

// The schema that decides how a query parameter's text is read: $refs at the top followed.
const json& effective(const Validator& validator, const json& schema) {
  const json* s = &schema;
  for (int i = 0; i < 16 && s->is_object(); ++i) {
    auto it = s->find("$ref");
    if (it == s->end() || !it->is_string()) {
      break;
    }
    s = &validator.resolve(it->get<std::string>());
  }
  return *s;
}

bool allows(const json& schema, std::string_view type) {
  if (!schema.is_object()) {
    return false;
  }
  auto it = schema.find("type");
  if (it == schema.end()) {
    return false;
  }
  if (it->is_string()) {
    return *it == type;
  }
  return it->is_array() && std::find(it->begin(), it->end(), type) != it->end();
}

// A query parameter's text as the JSON value its schema expects, when it reads as one; otherwise
// the string, which the schema then refuses with the right message.
json from_text(const std::string& text, const json& schema) {
  if (text.empty()) {
    return text;
  }
  if (allows(schema, "integer") && is_decimal_integer(text) && text.front() != '+') {
    if (auto i = to_int(text)) {
      return *i;
    }
  }
  if (allows(schema, "number") && text.front() != '+' && is_decimal_float(text) &&
      text.front() != '.' && text.back() != '.') {
    if (auto d = to_double(text)) {
      return *d;
    }
  }
  if (allows(schema, "boolean") && (text == "true" || text == "false")) {
    return text == "true";
  }
  return text;
}

}  // namespace

nlohmann::json yaml_to_json(std::string_view yaml) {
  try {
    return convert(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("invalid YAML: ") + e.what());
  }
}

const nlohmann::json& openapi() {
  static const json document = yaml_to_json(openapi_yaml());
  return document;
}

std::vector<std::pair<std::string, std::string>> operations() {
  return operations(openapi());
}

std::vector<std::pair<std::string, std::string>> operations(const nlohmann::json& document) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto paths = document.find("paths");
  if (paths == document.end() || !paths->is_object()) {
    return out;
  }
  for (const auto& [path, item] : paths->items()) {
    if (!item.is_object()) {
      continue;
    }
    for (const auto& method : kMethods) {
      if (item.contains(method)) {
        out.emplace_back(upper(method), path);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ContractMiddleware

ContractMiddleware::ContractMiddleware(const std::vector<http::RouteInfo>& routes,
                                       const std::set<std::string>& undocumented)
    : ContractMiddleware(openapi(), routes, undocumented) {}

ContractMiddleware::ContractMiddleware(const nlohmann::json& document,
                                       const std::vector<http::RouteInfo>& routes,
                                       const std::set<std::string>& undocumented)
    : validator_(std::make_unique<Validator>(document)) {
  const auto& doc = validator_->document();
  auto deref = [&](const json& node) -> const json& { return effective(*validator_, node); };
  const auto paths = doc.find("paths");
  for (const auto& [method, path] : operations(doc)) {
    const auto& item = paths->at(path);
    std::string lower = method;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto& op = item.at(lower);
    Operation operation;
    // Path-level parameters first; the operation's own override them (same name and location).
    for (const auto* level : {&item, &op}) {
      auto params = level->find("parameters");
      if (params == level->end() || !params->is_array()) {
        continue;
      }
      for (const auto& p : *params) {
        const auto& param = deref(p);
        if (param.value("in", "") != "query" || !param.contains("name")) {
          continue;
        }
        operation.query[param.at("name").get<std::string>()] =
            Parameter{.schema = param.value("schema", json::object()),
                      .required = param.value("required", false)};
      }
    }
    if (auto body = op.find("requestBody"); body != op.end()) {
      const auto& request_body = deref(*body);
      const auto content = request_body.find("content");
      if (content != request_body.end() && content->contains("application/json")) {
        operation.body_schema = content->at("application/json").value("schema", json::object());
        operation.body_required = request_body.value("required", false);
      }
    }
    operations_[operation_key(method, path)] = std::move(operation);
  }

  std::string missing;
  for (const auto& route : routes) {
    const auto name = operation_key(route.method, route.pattern);
    if (!operations_.contains(name) && !undocumented.contains(name)) {
      missing += (missing.empty() ? "" : ", ") + name;
    }
  }
  if (!missing.empty()) {
    throw std::logic_error("routes missing from the API contract (api/openapi.yaml): " + missing);
  }
}

boost::asio::awaitable<void> ContractMiddleware::before_handler(http::Request& req,
                                                                const http::RouteInfo& route) {
  check(req, route);
  co_return;
}

void ContractMiddleware::check(http::Request& req, const http::RouteInfo& route) const {
  const auto found = operations_.find(operation_key(route.method, route.pattern));
  if (found == operations_.end()) {
    return;  // undocumented on purpose
  }
  const auto& op = found->second;
  std::vector<core::FieldError> errors;

  // Query: name -> values, in the order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> given;
  std::string_view q(req.query);
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    auto name = http::percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::string()
                                              : http::percent_decode(pair.substr(eq + 1), true);
    auto it =
        std::find_if(given.begin(), given.end(), [&](const auto& g) { return g.first == name; });
    if (it == given.end()) {
      given.emplace_back(std::move(name), std::vector<std::string>{std::move(value)});
    } else {
      it->second.push_back(std::move(value));
    }
  }
  for (const auto& [name, values] : given) {
    const auto param = op.query.find(name);
    if (param == op.query.end()) {
      errors.push_back(core::FieldError{name, "is not a known parameter"});
      continue;
    }
    const auto& schema = effective(*validator_, param->second.schema);
    json value;
    if (allows(schema, "array")) {
      static const json kAnything = json::object();
      const auto items = schema.find("items");
      const auto& item_schema = items != schema.end() ? effective(*validator_, *items) : kAnything;
      value = json::array();
      for (const auto& v : values) {
        value.push_back(from_text(v, item_schema));
      }
    } else if (values.size() > 1) {
      errors.push_back(core::FieldError{name, "must be given once"});
      continue;
    } else {
      value = from_text(values.front(), schema);
    }
    validator_->validate(param->second.schema, value, name, errors);
  }
  for (const auto& param : op.query) {
    const auto& name = param.first;
    const bool present =
        std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == name; });
    if (param.second.required && !present) {
      errors.push_back(core::FieldError{name, "is required"});
    }
  }

  if (!op.body_schema.is_null()) {
    if (req.body.empty()) {
      if (op.body_required) {
        errors.push_back(core::FieldError{"body", "is required"});
      }
    } else {
      validator_->validate(op.body_schema, req.json(), "", errors);
    }
  }

  if (!errors.empty()) {
    throw core::ValidationError(std::move(errors));
  }
}

// ---------------------------------------------------------------------------------------------
// ContractRoutes

ContractRoutes::ContractRoutes() : body_(openapi().dump()) {}

void ContractRoutes::register_routes(http::Router& router) {
  router.get("/api/openapi.json", http::Access::anonymous,
             [this](http::Request& req) { return serve(req); });
}

boost::asio::awaitable<http::Response> ContractRoutes::serve(http::Request& /*req*/) const {
  http::Response res;
  res.status = 200;
  res.headers.set("Content-Type", "application/json");
  res.headers.set("Cache-Control", "public, max-age=300");
  res.body = body_;
  co_return res;
}

}  // namespace neuropod::contract
