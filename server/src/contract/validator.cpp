// The JSON Schema subset of api/openapi.yaml (see contract.hpp), and the walk over an OpenAPI
// document's schemas that the Validator and the keyword test share.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>

#include "contract/contract.hpp"
#include "http/message.hpp"

namespace neuropod::contract {

namespace {

using nlohmann::json;

// Keywords with a check, then annotations the Validator knows it may ignore.
constexpr auto kChecked = std::to_array<std::string_view>({"type",
                                                           "enum",
                                                           "const",
                                                           "required",
                                                           "properties",
                                                           "additionalProperties",
                                                           "items",
                                                           "minItems",
                                                           "maxItems",
                                                           "uniqueItems",
                                                           "minLength",
                                                           "maxLength",
                                                           "pattern",
                                                           "minimum",
                                                           "maximum",
                                                           "exclusiveMinimum",
                                                           "exclusiveMaximum",
                                                           "multipleOf",
                                                           "format",
                                                           "oneOf",
                                                           "anyOf",
                                                           "allOf",
                                                           "not",
                                                           "$ref"});
constexpr auto kAnnotations = std::to_array<std::string_view>(
    {"default", "description", "summary", "title", "example", "examples", "readOnly", "writeOnly",
     "deprecated", "$comment"});

constexpr auto kTypeNames = std::to_array<std::string_view>(
    {"string", "integer", "number", "boolean", "object", "array", "null"});

// Past this depth of nested schemas (a $ref cycle, a deeply nested value) validation stops.
constexpr int kMaxDepth = 128;
// std::regex recurses per character: longer strings are refused rather than matched.
constexpr std::size_t kMaxPatternInput = 8192;

bool is_one_of(std::string_view key, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

// Calls visit(schema) for `schema` and every schema nested in it.
void walk_schema(const json& schema, const std::function<void(const json&)>& visit) {
  if (!schema.is_object()) {
    return;  // true/false schemas
  }
  visit(schema);
  for (const auto& [key, value] : schema.items()) {
    if (is_one_of(key, {"properties", "patternProperties", "$defs", "dependentSchemas"})) {
      if (value.is_object()) {
        for (const auto& sub : value) {
          walk_schema(sub, visit);
        }
      }
    } else if (is_one_of(key, {"items", "additionalProperties", "not", "contains", "if", "then",
                               "else", "propertyNames", "unevaluatedProperties", "unevaluatedItems",
                               "additionalItems"})) {
      walk_schema(value, visit);
    } else if (is_one_of(key, {"allOf", "anyOf", "oneOf", "prefixItems"})) {
      if (value.is_array()) {
        for (const auto& sub : value) {
          walk_schema(sub, visit);
        }
      }
    }
  }
}

// Every schema of an OpenAPI document: components.schemas and every `schema` of a parameter,
// media type or header, wherever it is.
void walk_document(const json& node, bool in_components,
                   const std::function<void(const json&)>& visit) {
  if (node.is_array()) {
    for (const auto& item : node) {
      walk_document(item, false, visit);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  for (const auto& [key, value] : node.items()) {
    if (key == "schema" && value.is_object()) {
      walk_schema(value, visit);
    } else if (in_components && key == "schemas" && value.is_object()) {
      for (const auto& schema : value) {
        walk_schema(schema, visit);
      }
    } else if (key != "example" && key != "examples") {
      walk_document(value, key == "components", visit);
    }
  }
}

void for_each_schema(const json& document, const std::function<void(const json&)>& visit) {
  walk_document(document, false, visit);
}

// Every "$ref" string of the document.
void for_each_ref(const json& node, const std::function<void(const std::string&)>& visit) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        visit(value.get<std::string>());
      } else {
        for_each_ref(value, visit);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node) {
      for_each_ref(item, visit);
    }
  }
}

bool is_identifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key.front())) != 0) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

std::string property_path(const std::string& path, const std::string& key) {
  if (!is_identifier(key)) {
    return path + "[" + json(key).dump() + "]";
  }
  return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

bool has_type(const json& value, std::string_view type) {
  if (type == "string") {
    return value.is_string();
  }
  if (type == "integer") {
    return value.is_number_integer();
  }
  if (type == "number") {
    return value.is_number();
  }
  if (type == "boolean") {
    return value.is_boolean();
  }
  if (type == "object") {
    return value.is_object();
  }
  if (type == "array") {
    return value.is_array();
  }
  if (type == "null") {
    return value.is_null();
  }
  return false;
}

std::string with_article(std::string_view type) {
  if (type == "null") {
    return "null";
  }
  if (type == "boolean") {
    return "true or false";
  }
  const bool vowel = type == "integer" || type == "object" || type == "array";
  return std::string(vowel ? "an " : "a ") + std::string(type);
}

std::vector<std::string> type_names(const json& type) {
  std::vector<std::string> out;
  if (type.is_string()) {
    out.push_back(type.get<std::string>());
  } else if (type.is_array()) {
    for (const auto& t : type) {
      if (t.is_string()) {
        out.push_back(t.get<std::string>());
      }
    }
  }
  return out;
}

std::string type_message(const std::vector<std::string>& types, const json& value) {
  const bool integer = std::find(types.begin(), types.end(), "integer") != types.end();
  const bool number = std::find(types.begin(), types.end(), "number") != types.end();
  if (integer && !number && value.is_number_float()) {
    return "must be a whole number";
  }
  std::string out = "must be ";
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i > 0) {
      out += i + 1 == types.size() ? " or " : ", ";
    }
    out += with_article(types[i]);
  }
  return out;
}

long double as_long_double(const json& number) {
  if (number.is_number_unsigned()) {
    return static_cast<long double>(number.get<std::uint64_t>());
  }
  if (number.is_number_integer()) {
    return static_cast<long double>(number.get<std::int64_t>());
  }
  return static_cast<long double>(number.get<double>());
}

bool is_multiple_of(const json& value, const json& divisor) {
  if (value.is_number_integer() && divisor.is_number_integer()) {
    const auto d = divisor.get<std::int64_t>();
    if (d <= 0) {
      return true;  // not a valid multipleOf; ignored
    }
    if (value.is_number_unsigned()) {
      return value.get<std::uint64_t>() % static_cast<std::uint64_t>(d) == 0;
    }
    return value.get<std::int64_t>() % d == 0;
  }
  const auto d = as_long_double(divisor);
  if (d <= 0) {
    return true;
  }
  const auto q = as_long_double(value) / d;
  return std::fabs(q - std::round(q)) <= 1e-9L * std::max(1.0L, std::fabs(q));
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// RFC 3339 date-time: 2024-05-01T12:30:00Z, with optional fraction and a numeric offset.
bool is_date_time(std::string_view s) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t i = 19;
  if (s[i] == '.') {
    ++i;
    const auto start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      ++i;
    }
    if (i == start) {
      return false;
    }
  }
  const auto zone = s.substr(i);
  if (zone == "Z" || zone == "z") {
    return true;
  }
  int oh = 0;
  int om = 0;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2, oh) &&
         zone[3] == ':' && digits(zone, 4, 2, om) && oh <= 23 && om <= 59;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

// Loose: one '@' between two non-empty parts, no spaces.
bool is_email(std::string_view s) {
  const auto at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string_view::npos && !has_space_or_control(s) &&
         s[at + 1] != '.' && s.back() != '.';
}

// Loose: a scheme, a colon, something after it, no spaces.
bool is_uri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size() ||
      std::isalpha(static_cast<unsigned char>(s.front())) == 0) {
    return false;
  }
  const auto scheme = s.substr(0, colon);
  return std::all_of(scheme.begin(), scheme.end(),
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' ||
                              c == '-' || c == '.';
                     }) &&
         !has_space_or_control(s);
}

// A count keyword's value (minLength, maxItems, ...): a non-negative integer, else ignored.
std::optional<std::uint64_t> count_of(const json& schema, const char* keyword) {
  const auto it = schema.find(keyword);
  if (it == schema.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  if (it->is_number_unsigned()) {
    return it->get<std::uint64_t>();
  }
  const auto n = it->get<std::int64_t>();
  return n < 0 ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(n));
}

std::string plural(std::uint64_t n, const char* noun) {
  auto out = std::to_string(n);
  out.append(" ").append(noun).append(n == 1 ? "" : "s");
  return out;
}

std::string list_values(const json& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) {
      out += ", ";
    }
    out += v.dump();
  }
  return out;
}

}  // namespace

bool is_supported_keyword(std::string_view keyword) {
  return std::find(kChecked.begin(), kChecked.end(), keyword) != kChecked.end() ||
         std::find(kAnnotations.begin(), kAnnotations.end(), keyword) != kAnnotations.end();
}

std::set<std::string> schema_keywords_used(const json& document) {
  std::set<std::string> out;
  for_each_schema(document, [&](const json& schema) {
    for (const auto& [key, value] : schema.items()) {
      out.insert(key);
    }
  });
  return out;
}

struct Validator::Cache {
  std::map<std::string, const json*, std::less<>> refs;  // filled by the constructor only
  std::mutex mutex;
  std::map<std::string, std::regex, std::less<>> regexes;

  const std::regex& regex(const std::string& pattern) {
    const std::lock_guard lock(mutex);
    auto it = regexes.find(pattern);
    if (it == regexes.end()) {
      try {
        it = regexes.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
      } catch (const std::regex_error& e) {
        throw std::logic_error("invalid pattern in the API contract: " + pattern + " (" + e.what() +
                               ")");
      }
    }
    return it->second;  // nodes of a std::map stay put; matching needs no lock
  }
};

Validator::Validator(const json& document)
    : document_(document), cache_(std::make_unique<Cache>()) {
  std::vector<std::string> problems;
  for_each_ref(document_, [&](const std::string& ref) {
    if (cache_->refs.contains(ref)) {
      return;
    }
    try {
      cache_->refs.emplace(ref, &resolve(ref));
    } catch (const std::logic_error& e) {
      problems.emplace_back(e.what());
    }
  });
  for_each_schema(document_, [&](const json& schema) {
    if (auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
      try {
        cache_->regex(it->get<std::string>());
      } catch (const std::logic_error& e) {
        problems.emplace_back(e.what());
      }
    }
    if (auto it = schema.find("type"); it != schema.end()) {
      const auto names = type_names(*it);
      const auto count = it->is_array() ? it->size() : 1;
      const bool known = std::all_of(names.begin(), names.end(), [](const std::string& n) {
        return std::find(kTypeNames.begin(), kTypeNames.end(), n) != kTypeNames.end();
      });
      if (names.size() != count || !known) {
        problems.push_back("unknown type in the API contract: " + it->dump() +
                           " (a YAML null must be quoted: \"null\")");
      }
    }
  });
  if (!problems.empty()) {
    std::string message = "api contract: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      message += (i > 0 ? "; " : "") + problems[i];
    }
    throw std::logic_error(message);
  }
}

Validator::~Validator() = default;

const json& Validator::resolve(const std::string& ref) const {
  if (auto it = cache_->refs.find(ref); it != cache_->refs.end()) {
    return *it->second;
  }
  if (ref.empty() || ref.front() != '#') {
    throw std::logic_error("unsupported $ref (only \"#/...\" within the document): " + ref);
  }
  try {
    const json::json_pointer pointer(http::percent_decode(std::string_view(ref).substr(1)));
    return document_.at(pointer);
  } catch (const json::exception&) {
    throw std::logic_error("unresolved $ref: " + ref);
  }
}

struct Validator::Check {
  const Validator& validator;
  std::vector<core::FieldError>& out;

  void fail(const std::string& path, std::string message) const {
    out.push_back(core::FieldError{path.empty() ? "body" : path, std::move(message)});
  }

  // Errors of `value` against each schema of `branches`, and how many passed.
  std::vector<std::vector<core::FieldError>> branches(const json& list, const json& value,
                                                      const std::string& path, int depth) const {
    std::vector<std::vector<core::FieldError>> results;
    for (const auto& sub : list) {
      auto& errors = results.emplace_back();
      Check{validator, errors}.run(sub, value, path, depth + 1);
    }
    return results;
  }

  // No branch passed: the errors of the closest branch when one is clearly closest, else `message`.
  void no_branch_passed(const std::vector<std::vector<core::FieldError>>& results,
                        const std::string& path, const std::string& message) const {
    const std::vector<core::FieldError>* best = nullptr;
    bool tie = false;
    for (const auto& errors : results) {
      if (best == nullptr || errors.size() < best->size()) {
        best = &errors;
        tie = false;
      } else if (errors.size() == best->size()) {
        tie = true;
      }
    }
    if (best == nullptr || tie) {
      fail(path, message);
      return;
    }
    out.insert(out.end(), best->begin(), best->end());
  }

  void run(const json& schema, const json& value, const std::string& path, int depth) const {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) {
        fail(path, "is not allowed");
      }
      return;
    }
    if (!schema.is_object()) {
      return;
    }
    if (depth > kMaxDepth) {
      fail(path, "is nested too deeply");
      return;
    }
    if (auto it = schema.find("$ref"); it != schema.end() && it->is_string()) {
      run(validator.resolve(it->get<std::string>()), value, path, depth + 1);
    }
    if (auto it = schema.find("type"); it != schema.end()) {
      const auto types = type_names(*it);
      const bool ok = std::any_of(types.begin(), types.end(),
                                  [&](const std::string& t) { return has_type(value, t); });
      if (!ok) {
        fail(path, type_message(types, value));
        return;  // the other keywords would only repeat it
      }
    }
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      if (std::find(it->begin(), it->end(), value) == it->end()) {
        fail(path, "must be one of " + list_values(*it));
      }
    }
    if (auto it = schema.find("const"); it != schema.end() && *it != value) {
      fail(path, "must be " + it->dump());
    }
    if (value.is_object()) {
      object(schema, value, path, depth);
    } else if (value.is_array()) {
      array(schema, value, path, depth);
    } else if (value.is_string()) {
      string(schema, value.get_ref<const std::string&>(), path);
    } else if (value.is_number()) {
      number(schema, value, path);
    }
    combinators(schema, value, path, depth);
  }

  void object(const json& schema, const json& value, const std::string& path, int depth) const {
    if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
      for (const auto& name : *it) {
        if (name.is_string() && !value.contains(name.get<std::string>())) {
          fail(property_path(path, name.get<std::string>()), "is required");
        }
      }
    }
    static const json kNoProperties = json::object();
    const auto props_it = schema.find("properties");
    const json& properties =
        props_it != schema.end() && props_it->is_object() ? *props_it : kNoProperties;
    const auto extra_it = schema.find("additionalProperties");
    for (const auto& [key, sub] : value.items()) {
      const auto child = property_path(path, key);
      if (auto p = properties.find(key); p != properties.end()) {
        run(*p, sub, child, depth + 1);
      } else if (extra_it != schema.end()) {
        if (extra_it->is_boolean() && !extra_it->get<bool>()) {
          fail(child, "is not a known field");
        } else {
          run(*extra_it, sub, child, depth + 1);
        }
      }
    }
  }

  void array(const json& schema, const json& value, const std::string& path, int depth) const {
    if (const auto n = count_of(schema, "minItems"); n && value.size() < *n) {
      fail(path, "must have at least " + plural(*n, "item"));
    }
    if (const auto n = count_of(schema, "maxItems"); n && value.size() > *n) {
      fail(path, "must have at most " + plural(*n, "item"));
    }
    if (auto it = schema.find("uniqueItems"); it != schema.end() && *it == true) {
      for (std::size_t i = 1; i < value.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (value[i] == value[j]) {
            fail(index_path(path, i), "is a duplicate of item " + std::to_string(j));
            break;
          }
        }
      }
    }
    if (auto it = schema.find("items");
        it != schema.end() && (it->is_object() || it->is_boolean())) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        run(*it, value[i], index_path(path, i), depth + 1);
      }
    }
  }

  void string(const json& schema, const std::string& value, const std::string& path) const {
    const auto length = code_points(value);
    if (const auto n = count_of(schema, "minLength"); n && length < *n) {
      fail(path, "must be at least " + plural(*n, "character") + " long");
    }
    if (const auto n = count_of(schema, "maxLength"); n && length > *n) {
      fail(path, "must be at most " + plural(*n, "character") + " long");
    }
    if (auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
      if (value.size() > kMaxPatternInput) {
        fail(path, "is too long to check (at most " + std::to_string(kMaxPatternInput) +
                       " bytes for this field)");
      } else {
        const auto& pattern = it->get_ref<const std::string&>();
        bool matched = false;
        try {
          matched = std::regex_search(value, validator.cache_->regex(pattern));
        } catch (const std::regex_error&) {
          matched = false;  // too complex to match: refused
        }
        if (!matched) {
          fail(path, "must match the pattern " + pattern);
        }
      }
    }
    if (auto it = schema.find("format"); it != schema.end() && it->is_string()) {
      const auto& format = it->get_ref<const std::string&>();
      if (format == "date-time" && !is_date_time(value)) {
        fail(path, "must be a date-time (RFC 3339, e.g. 2024-05-01T12:30:00Z)");
      } else if (format == "email" && !is_email(value)) {
        fail(path, "must be an email address");
      } else if (format == "uri" && !is_uri(value)) {
        fail(path, "must be a URI");
      }
    }
  }

  void number(const json& schema, const json& value, const std::string& path) const {
    const auto v = as_long_double(value);
    auto bound = [&](const char* keyword) -> const json* {
      auto it = schema.find(keyword);
      return it != schema.end() && it->is_number() ? &*it : nullptr;
    };
    if (const auto* b = bound("minimum"); b != nullptr && v < as_long_double(*b)) {
      fail(path, "must be at least " + b->dump());
    }
    if (const auto* b = bound("maximum"); b != nullptr && v > as_long_double(*b)) {
      fail(path, "must be at most " + b->dump());
    }
    if (const auto* b = bound("exclusiveMinimum"); b != nullptr && v <= as_long_double(*b)) {
      fail(path, "must be greater than " + b->dump());
    }
    if (const auto* b = bound("exclusiveMaximum"); b != nullptr && v >= as_long_double(*b)) {
      fail(path, "must be less than " + b->dump());
    }
    if (const auto* b = bound("multipleOf"); b != nullptr && !is_multiple_of(value, *b)) {
      fail(path, "must be a multiple of " + b->dump());
    }
  }

  void combinators(const json& schema, const json& value, const std::string& path,
                   int depth) const {
    if (auto it = schema.find("allOf"); it != schema.end() && it->is_array()) {
      for (const auto& sub : *it) {
        run(sub, value, path, depth + 1);
      }
    }
    if (auto it = schema.find("anyOf"); it != schema.end() && it->is_array()) {
      const auto results = branches(*it, value, path, depth);
      if (std::none_of(results.begin(), results.end(), [](const auto& e) { return e.empty(); })) {
        no_branch_passed(results, path, "must match at least one of the allowed schemas");
      }
    }
    if (auto it = schema.find("oneOf"); it != schema.end() && it->is_array()) {
      const auto results = branches(*it, value, path, depth);
      std::vector<std::size_t> passed;
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].empty()) {
          passed.push_back(i);
        }
      }
      if (passed.empty()) {
        no_branch_passed(results, path, "must match exactly one of the allowed schemas");
      } else if (passed.size() > 1) {
        std::string which;
        for (auto i : passed) {
          which += (which.empty() ? "" : ", ") + std::to_string(i);
        }
        fail(path, "must match exactly one of the allowed schemas, but matches " +
                       std::to_string(passed.size()) + " (" + which + ")");
      }
    }
    if (auto it = schema.find("not"); it != schema.end()) {
      std::vector<core::FieldError> errors;
      Check{validator, errors}.run(*it, value, path, depth + 1);
      if (errors.empty()) {
        fail(path, "is not allowed");
      }
    }
  }
};

void Validator::validate(const json& schema, const json& value, const std::string& path,
                         std::vector<core::FieldError>& out) const {
  Check{*this, out}.run(schema, value, path, 0);
}

}  // namespace neuropod::contract
