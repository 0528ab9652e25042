#pragma once
// The REST contract (api/openapi.yaml) inside the server: the document is embedded at build time,
// every request is validated against it before its handler runs, and GET /api/openapi.json
// serves it.
//
// Field names in validation errors (details.fields[].field), the same convention as the handlers'
// own checks and FieldError in api/openapi.yaml:
//   - body values: their JSON path without prefix, "email", "ports[0].port",
//     `labels["app.kubernetes.io/name"]` (keys that are not identifiers are quoted);
//     the body itself (missing, wrong type, ...) is "body", items of an array body "[0]";
//   - query parameters: their name, "limit".
// Path parameters are not checked here: handlers answer 404 for ids that do not parse.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"

namespace neuropod::contract {

// The text of api/openapi.yaml as built into this binary.
std::string_view openapi_yaml();

// YAML (one document) -> JSON. Plain scalars are resolved with YAML 1.2's core schema (null, ~ and
// empty -> null; true/false -> bool; decimal integers -> int; decimal floats -> double); quoted
// or tagged scalars stay strings. Map keys are strings. Throws std::runtime_error on bad YAML.
nlohmann::json yaml_to_json(std::string_view yaml);

// The parsed document, built once (thread-safe).
const nlohmann::json& openapi();

// Operations of a document as method (upper case) + OpenAPI path pattern,
// e.g. {"GET", "/api/pods/{id}"}. The first overload reads openapi().
std::vector<std::pair<std::string, std::string>> operations();
std::vector<std::pair<std::string, std::string>> operations(const nlohmann::json& document);

// JSON Schema keywords the Validator implements, annotations it knows to ignore included.
bool is_supported_keyword(std::string_view keyword);
// Every keyword used by a schema of an OpenAPI document (components.schemas, parameters, request
// bodies, responses, headers, and the schemas nested in those), so that a test can check that none
// is silently ignored.
std::set<std::string> schema_keywords_used(const nlohmann::json& document);

// The subset of JSON Schema 2020-12 the contract uses: type (one or a list), enum, const,
// required, properties, additionalProperties, items, minItems, maxItems, uniqueItems, minLength,
// maxLength (code points), pattern (ECMAScript, unanchored unless the pattern says ^/$), minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, format (date-time, email, uri; others
// ignored), oneOf, anyOf, allOf, not, $ref (JSON pointers into the document, "#/components/...").
// Annotations (description, default, example, ...) and unknown keywords are ignored.
// "integer" means a JSON number written without a fraction: 2.0 is refused.
class Validator {
 public:
  // Copies the document. Throws std::logic_error listing every $ref that does not resolve, every
  // pattern that is not a valid regular expression and every unknown type name.
  explicit Validator(const nlohmann::json& document);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Validates `value` against `schema` and appends one FieldError per problem (all of them, not
  // the first). `path` names `value` ("" for the request body, reported as "body").
  void validate(const nlohmann::json& schema, const nlohmann::json& value, const std::string& path,
                std::vector<core::FieldError>& out) const;

  // The target of a "#/..." reference. Throws std::logic_error when it does not resolve.
  const nlohmann::json& resolve(const std::string& ref) const;

  const nlohmann::json& document() const { return document_; }

 private:
  struct Cache;  // resolved $refs and compiled patterns (validator.cpp)
  struct Check;  // one validate() call (validator.cpp)

  nlohmann::json document_;
  std::unique_ptr<Cache> cache_;
};

// Once the route is known: checks the query parameters (unknown ones refused; integer, number and
// boolean parameters parsed from their text first; repeated ones only for array schemas) and the
// JSON body (requestBody, application/json: required -> "body" "is required" when empty; a body
// sent to an operation without requestBody is ignored). Throws core::ValidationError listing every
// problem; a body that is not JSON throws what Request::json() throws (415, invalid_json).
// Put it after the auth middleware, so that 401/403 come before 400.
class ContractMiddleware final : public http::Middleware {
 public:
  // Against api/openapi.yaml. Throws std::logic_error naming every route of `routes` that the
  // document does not describe (the server refuses to start with an undocumented route), except
  // those in `undocumented` ("POST /api/_echo"), which are let through unchecked.
  explicit ContractMiddleware(const std::vector<http::RouteInfo>& routes,
                              const std::set<std::string>& undocumented = {});
  // Against any document (tests).
  ContractMiddleware(const nlohmann::json& document, const std::vector<http::RouteInfo>& routes,
                     const std::set<std::string>& undocumented = {});

  boost::asio::awaitable<void> before_handler(http::Request& req,
                                              const http::RouteInfo& route) override;

  // What before_handler does, synchronously.
  void check(http::Request& req, const http::RouteInfo& route) const;

 private:
  struct Parameter {
    nlohmann::json schema;
    bool required = false;
  };
  struct Operation {
    std::map<std::string, Parameter, std::less<>> query;
    nlohmann::json body_schema;  // null: no JSON body to check
    bool body_required = false;
  };

  std::unique_ptr<Validator> validator_;
  std::map<std::string, Operation, std::less<>> operations_;  // "GET /api/pods/{id}"
};

// GET /api/openapi.json (anonymous): the document as JSON, cacheable for five minutes.
class ContractRoutes {
 public:
  ContractRoutes();
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> serve(http::Request& req) const;

  std::string body_;  // serialized once
};

}  // namespace neuropod::contract
