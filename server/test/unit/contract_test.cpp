#include "contract/contract.hpp"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/errors.hpp"
#include "http/router.hpp"

namespace contract = neuropod::contract;
namespace core = neuropod::core;
namespace http = neuropod::http;
namespace asio = boost::asio;
using contract::Validator;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace neuropod::core {
// Readable failures.
void PrintTo(const FieldError& e, std::ostream* os) {
  *os << "{" << e.field << ": " << e.message << "}";
}
}  // namespace neuropod::core

namespace {

auto fe(const std::string& field, const std::string& message) {
  return ::testing::AllOf(Field(&core::FieldError::field, field),
                          Field(&core::FieldError::message, message));
}

// Components every Validator test can $ref.
const json& components_document() {
  static const json doc = contract::yaml_to_json(R"yaml(
openapi: 3.1.0
paths: {}
components:
  parameters:
    Limit: { name: limit, in: query, schema: { type: integer, minimum: 1 } }
  schemas:
    Port:
      type: object
      required: [port]
      properties:
        port: { type: integer, minimum: 1, maximum: 65535 }
    Ports:
      type: array
      items: { $ref: "#/components/schemas/Port" }
    PortAlias:
      $ref: "#/components/schemas/Port"
    Loop:
      $ref: "#/components/schemas/Loop"
)yaml");
  return doc;
}

std::vector<core::FieldError> errors_of(const json& schema, const json& value,
                                        const std::string& path = "") {
  static const Validator validator(components_document());
  std::vector<core::FieldError> out;
  validator.validate(schema, value, path, out);
  return out;
}

bool ok(const json& schema, const json& value) {
  return errors_of(schema, value).empty();
}

json yaml(std::string_view text) {
  return contract::yaml_to_json(text);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The embedded document (api/openapi.yaml)

TEST(ContractDocument, EmbeddedDocumentParses) {
  EXPECT_FALSE(contract::openapi_yaml().empty());
  const auto& doc = contract::openapi();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  ASSERT_TRUE(doc.at("paths").is_object());
  EXPECT_FALSE(doc.at("paths").empty());
  EXPECT_TRUE(doc.at("paths").contains("/api/status"));
  EXPECT_EQ(&contract::openapi(), &doc);  // built once
  const auto ops = contract::operations();
  EXPECT_NE(std::find(ops.begin(), ops.end(),
                      std::pair<std::string, std::string>("GET", "/api/openapi.json")),
            ops.end());
}

TEST(ContractDocument, EveryKeywordUsedIsSupported) {
  const auto used = contract::schema_keywords_used(contract::openapi());
  EXPECT_TRUE(used.contains("type"));
  EXPECT_TRUE(used.contains("$ref"));
  for (const auto& keyword : used) {
    EXPECT_TRUE(contract::is_supported_keyword(keyword))
        << "api/openapi.yaml uses the JSON Schema keyword '" << keyword
        << "', which the contract Validator does not implement (server/src/contract/validator.cpp)";
  }
}

TEST(ContractDocument, UnsupportedKeywordsAreFound) {
  const auto doc = yaml(R"yaml(
paths:
  /x:
    get:
      parameters:
        - { name: q, in: query, schema: { type: string, nullable: true } }
      responses:
        "200":
          content:
            application/json:
              schema:
                type: object
                properties:
                  patternProperties: { type: string }
                  a: { type: array, items: { prefixItems: [] } }
components:
  schemas:
    A: { oneOf: [ { type: string, contentEncoding: base64 } ], example: { discriminator: 1 } }
)yaml");
  const auto used = contract::schema_keywords_used(doc);
  EXPECT_TRUE(used.contains("nullable"));
  EXPECT_TRUE(used.contains("prefixItems"));
  EXPECT_TRUE(used.contains("contentEncoding"));
  EXPECT_FALSE(used.contains("patternProperties"));  // a property name, not a keyword
  EXPECT_FALSE(used.contains("discriminator"));      // inside an example
  EXPECT_FALSE(contract::is_supported_keyword("nullable"));
  EXPECT_TRUE(contract::is_supported_keyword("description"));
}

TEST(ContractDocument, OperationIdsAreUnique) {
  std::set<std::string> seen;
  for (const auto& [method, path] : contract::operations()) {
    std::string lower = method;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto& op = contract::openapi().at("paths").at(path).at(lower);
    ASSERT_TRUE(op.contains("operationId")) << method << " " << path;
    EXPECT_TRUE(seen.insert(op.at("operationId").get<std::string>()).second)
        << "duplicate operationId " << op.at("operationId") << " (" << method << " " << path << ")";
  }
}

TEST(ContractDocument, ValidatorAcceptsTheDocumentAndItsSchemasWork) {
  const Validator validator(contract::openapi());  // every $ref resolves, every pattern compiles
  const json status = {{"name", "neuropod"},
                       {"version", "0.1.0"},
                       {"uptime_seconds", 1.5},
                       {"time", "2024-05-01T12:30:00Z"},
                       {"database", {{"status", "ok"}, {"latency_ms", 2}}},
                       {"kubernetes", {{"status", "not_configured"}}}};
  const json schema = {{"$ref", "#/components/schemas/Status"}};
  std::vector<core::FieldError> out;
  validator.validate(schema, status, "", out);
  EXPECT_THAT(out, IsEmpty());

  auto bad = status;
  bad["name"] = "other";
  bad["database"]["status"] = "sleeping";
  bad.erase("time");
  validator.validate(schema, bad, "", out);
  EXPECT_THAT(out, UnorderedElementsAre(
                       fe("time", "is required"), fe("name", "must be \"neuropod\""),
                       fe("database.status", R"(must be one of "ok", "down", "not_configured")")));
}

TEST(ContractDocument, YamlScalarsResolveLikeJson) {
  const auto j = yaml(R"yaml(
plain_true: true
quoted_true: "true"
upper: TRUE
int: 42
negative: -7
quoted_int: "42"
float: 1.5
exp: 1e3
null_word: null
tilde: ~
empty:
quoted_null: "null"
single_quoted: 'no'
tagged: !!str 12
word: yes
code: "200"
list: [integer, "null", 3]
hex: 0x1F
version: 3.1.0
)yaml");
  EXPECT_EQ(j.at("plain_true"), json(true));
  EXPECT_EQ(j.at("quoted_true"), json("true"));
  EXPECT_EQ(j.at("upper"), json(true));
  EXPECT_EQ(j.at("int"), json(42));
  EXPECT_TRUE(j.at("int").is_number_integer());
  EXPECT_EQ(j.at("negative"), json(-7));
  EXPECT_EQ(j.at("quoted_int"), json("42"));
  EXPECT_TRUE(j.at("float").is_number_float());
  EXPECT_DOUBLE_EQ(j.at("float").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j.at("exp").get<double>(), 1000.0);
  EXPECT_TRUE(j.at("null_word").is_null());
  EXPECT_TRUE(j.at("tilde").is_null());
  EXPECT_TRUE(j.at("empty").is_null());
  EXPECT_EQ(j.at("quoted_null"), json("null"));
  EXPECT_EQ(j.at("single_quoted"), json("no"));
  EXPECT_EQ(j.at("tagged"), json("12"));
  EXPECT_EQ(j.at("word"), json("yes"));  // YAML 1.2: not a boolean
  EXPECT_EQ(j.at("code"), json("200"));
  EXPECT_EQ(j.at("list"), json::parse(R"(["integer", "null", 3])"));
  EXPECT_EQ(j.at("hex"), json(31));
  EXPECT_EQ(j.at("version"), json("3.1.0"));
  EXPECT_THROW(yaml("a: [1, 2"), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Validator: one test per keyword

TEST(Validator, Types) {
  EXPECT_TRUE(ok({{"type", "string"}}, "x"));
  EXPECT_TRUE(ok({{"type", "integer"}}, 3));
  EXPECT_TRUE(ok({{"type", "integer"}}, -3));
  EXPECT_TRUE(ok({{"type", "integer"}}, json::parse("18446744073709551615")));
  EXPECT_TRUE(ok({{"type", "number"}}, 3));
  EXPECT_TRUE(ok({{"type", "number"}}, 3.5));
  EXPECT_TRUE(ok({{"type", "boolean"}}, false));
  EXPECT_TRUE(ok({{"type", "object"}}, json::object()));
  EXPECT_TRUE(ok({{"type", "array"}}, json::array()));
  EXPECT_TRUE(ok({{"type", "null"}}, nullptr));

  EXPECT_THAT(errors_of({{"type", "string"}}, 1, "name"),
              ElementsAre(fe("name", "must be a string")));
  EXPECT_THAT(errors_of({{"type", "integer"}}, "1", "n"),
              ElementsAre(fe("n", "must be an integer")));
  EXPECT_THAT(errors_of({{"type", "number"}}, "1", "n"), ElementsAre(fe("n", "must be a number")));
  EXPECT_THAT(errors_of({{"type", "boolean"}}, 0, "b"),
              ElementsAre(fe("b", "must be true or false")));
  EXPECT_THAT(errors_of({{"type", "object"}}, json::array()),
              ElementsAre(fe("body", "must be an object")));
  EXPECT_THAT(errors_of({{"type", "array"}}, json::object(), "a"),
              ElementsAre(fe("a", "must be an array")));
  EXPECT_THAT(errors_of({{"type", "null"}}, 0, "z"), ElementsAre(fe("z", "must be null")));
}

TEST(Validator, IntegersAreWholeNumbersWithoutFraction) {
  EXPECT_THAT(errors_of({{"type", "integer"}}, json::parse("1.5"), "n"),
              ElementsAre(fe("n", "must be a whole number")));
  EXPECT_THAT(errors_of({{"type", "integer"}}, json::parse("2.0"), "n"),
              ElementsAre(fe("n", "must be a whole number")));
  EXPECT_TRUE(ok({{"type", "integer"}}, json::parse("2")));
}

TEST(Validator, NullableTypeLists) {
  const auto schema = yaml(R"(type: [integer, "null"])");
  EXPECT_TRUE(ok(schema, nullptr));
  EXPECT_TRUE(ok(schema, 5));
  EXPECT_THAT(errors_of(schema, "5", "balance_micros"),
              ElementsAre(fe("balance_micros", "must be an integer or null")));
  EXPECT_THAT(errors_of(yaml(R"(type: [string, integer, "null"])"), true, "x"),
              ElementsAre(fe("x", "must be a string, an integer or null")));
}

TEST(Validator, EnumAndConst) {
  const auto role = yaml("enum: [admin, client]");
  EXPECT_TRUE(ok(role, "admin"));
  EXPECT_THAT(errors_of(role, "root", "role"),
              ElementsAre(fe("role", R"(must be one of "admin", "client")")));
  EXPECT_TRUE(ok(yaml("const: neuropod"), "neuropod"));
  EXPECT_THAT(errors_of(yaml("const: 3"), 4, "v"), ElementsAre(fe("v", "must be 3")));
}

TEST(Validator, ObjectsReportEveryProblem) {
  const auto schema = yaml(R"yaml(
type: object
additionalProperties: false
required: [email, name, age]
properties:
  email: { type: string }
  name: { type: string, minLength: 1 }
  age: { type: integer }
)yaml");
  EXPECT_TRUE(ok(schema, {{"email", "a@b.c"}, {"name", "A"}, {"age", 3}}));
  EXPECT_THAT(errors_of(schema, {{"name", ""}, {"age", "3"}, {"extra", 1}, {"other", 2}}),
              UnorderedElementsAre(
                  fe("email", "is required"), fe("name", "must be at least 1 character long"),
                  fe("age", "must be an integer"), fe("extra", "is not a known field"),
                  fe("other", "is not a known field")));
}

TEST(Validator, AdditionalPropertiesSchemaAndQuotedKeys) {
  const auto schema = yaml(R"yaml(
type: object
properties:
  labels:
    type: object
    additionalProperties: { type: string, maxLength: 3 }
)yaml");
  EXPECT_TRUE(
      ok(schema, {{"labels", {{"a", "xyz"}}}, {"unlisted", 1}}));  // no additionalProperties
  EXPECT_THAT(errors_of(schema, {{"labels", {{"app.kubernetes.io/name", 1}, {"ok_key", "long"}}}}),
              UnorderedElementsAre(fe(R"(labels["app.kubernetes.io/name"])", "must be a string"),
                                   fe("labels.ok_key", "must be at most 3 characters long")));
  EXPECT_THAT(errors_of(yaml("additionalProperties: true"), {{"x", 1}}), IsEmpty());
}

TEST(Validator, Arrays) {
  const auto schema = yaml(R"yaml(
type: array
minItems: 1
maxItems: 3
uniqueItems: true
items: { type: integer, minimum: 0 }
)yaml");
  EXPECT_TRUE(ok(schema, {1, 2, 3}));
  EXPECT_THAT(errors_of(schema, json::array(), "xs"),
              ElementsAre(fe("xs", "must have at least 1 item")));
  EXPECT_THAT(errors_of(schema, {1, 2, 3, 4}, "xs"),
              ElementsAre(fe("xs", "must have at most 3 items")));
  EXPECT_THAT(
      errors_of(schema, {1, 1.0, 1}, "xs"),
      ElementsAre(fe("xs[1]", "is a duplicate of item 0"), fe("xs[2]", "is a duplicate of item 0"),
                  fe("xs[1]", "must be a whole number")));
  EXPECT_THAT(errors_of(schema, {-1, "a", 2}, "xs"),
              ElementsAre(fe("xs[0]", "must be at least 0"), fe("xs[1]", "must be an integer")));
  EXPECT_TRUE(ok(yaml("uniqueItems: true"), json::parse(R"([{"a":1},{"a":2}])")));
  EXPECT_FALSE(ok(yaml("uniqueItems: true"), json::parse(R"([{"a":1},{"a":1}])")));
}

TEST(Validator, NestedPaths) {
  const auto schema = yaml(R"yaml(
type: object
properties:
  spec:
    type: object
    properties:
      ports:
        type: array
        items:
          type: object
          required: [port]
          properties: { port: { type: integer, maximum: 65535 } }
)yaml");
  const auto value = json::parse(R"({"spec": {"ports": [{"port": 80}, {"port": 70000}, {}]}})");
  EXPECT_THAT(errors_of(schema, value),
              ElementsAre(fe("spec.ports[1].port", "must be at most 65535"),
                          fe("spec.ports[2].port", "is required")));
}

TEST(Validator, StringLengthCountsCodePoints) {
  const auto schema = yaml("{ type: string, minLength: 2, maxLength: 3 }");
  EXPECT_TRUE(ok(schema, "日本語"));  // 9 bytes, 3 code points
  EXPECT_TRUE(ok(schema, "é😀"));      // 6 bytes, 2 code points
  EXPECT_THAT(errors_of(schema, "😀", "s"),
              ElementsAre(fe("s", "must be at least 2 characters long")));
  EXPECT_THAT(errors_of(schema, "abcd", "s"),
              ElementsAre(fe("s", "must be at most 3 characters long")));
  EXPECT_THAT(errors_of(schema, "日本語です", "s"),
              ElementsAre(fe("s", "must be at most 3 characters long")));
}

TEST(Validator, Pattern) {
  const auto id = yaml(R"(pattern: "^[0-9a-f]{24}$")");
  EXPECT_TRUE(ok(id, "0123456789abcdef01234567"));
  EXPECT_THAT(errors_of(id, "0123456789abcdef0123456", "user_id"),
              ElementsAre(fe("user_id", "must match the pattern ^[0-9a-f]{24}$")));
  EXPECT_FALSE(ok(id, "0123456789abcdef01234567x"));
  const auto unanchored = yaml("pattern: b+c");
  EXPECT_TRUE(ok(unanchored, "aabbcdd"));  // not anchored unless the pattern says so
  EXPECT_FALSE(ok(unanchored, "ac"));
  EXPECT_TRUE(ok(id, 3));                                         // only strings
  EXPECT_FALSE(ok(yaml("pattern: a"), std::string(10000, 'a')));  // too long to match safely
}

TEST(Validator, NumericBounds) {
  const auto schema = yaml("{ minimum: 1, maximum: 500 }");
  EXPECT_TRUE(ok(schema, 1));
  EXPECT_TRUE(ok(schema, 500));
  EXPECT_TRUE(ok(schema, 250.5));
  EXPECT_THAT(errors_of(schema, 0, "limit"), ElementsAre(fe("limit", "must be at least 1")));
  EXPECT_THAT(errors_of(schema, 501, "limit"), ElementsAre(fe("limit", "must be at most 500")));
  EXPECT_THAT(errors_of(schema, -1, "limit"), ElementsAre(fe("limit", "must be at least 1")));

  const auto exclusive = yaml("{ exclusiveMinimum: 0, exclusiveMaximum: 1.5 }");
  EXPECT_TRUE(ok(exclusive, 1));
  EXPECT_THAT(errors_of(exclusive, 0, "x"), ElementsAre(fe("x", "must be greater than 0")));
  EXPECT_THAT(errors_of(exclusive, 1.5, "x"), ElementsAre(fe("x", "must be less than 1.5")));

  const auto multiple = yaml("multipleOf: 5");
  EXPECT_TRUE(ok(multiple, 15));
  EXPECT_TRUE(ok(multiple, -10));
  EXPECT_THAT(errors_of(multiple, 7, "m"), ElementsAre(fe("m", "must be a multiple of 5")));
  EXPECT_TRUE(ok(yaml("multipleOf: 0.5"), 2.5));
  EXPECT_FALSE(ok(yaml("multipleOf: 0.5"), 2.25));
  EXPECT_TRUE(ok(schema, "not a number"));  // bounds only apply to numbers
}

TEST(Validator, Formats) {
  const auto date_time = yaml("format: date-time");
  EXPECT_TRUE(ok(date_time, "2024-05-01T12:30:00Z"));
  EXPECT_TRUE(ok(date_time, "2024-05-01T12:30:00.123+02:00"));
  EXPECT_THAT(errors_of(date_time, "2024-05-01", "ts"),
              ElementsAre(fe("ts", "must be a date-time (RFC 3339, e.g. 2024-05-01T12:30:00Z)")));
  EXPECT_FALSE(ok(date_time, "2024-13-01T12:30:00Z"));
  EXPECT_FALSE(ok(date_time, "2024-05-01T12:30:00"));

  const auto email = yaml("format: email");
  EXPECT_TRUE(ok(email, "ada@example.com"));
  EXPECT_THAT(errors_of(email, "ada", "email"),
              ElementsAre(fe("email", "must be an email address")));
  EXPECT_FALSE(ok(email, "a b@example.com"));
  EXPECT_FALSE(ok(email, "a@b@example.com"));

  const auto uri = yaml("format: uri");
  EXPECT_TRUE(ok(uri, "https://neuropod.online/x?y=1"));
  EXPECT_TRUE(ok(uri, "mailto:ada@example.com"));
  EXPECT_THAT(errors_of(uri, "/relative", "u"), ElementsAre(fe("u", "must be a URI")));
  EXPECT_FALSE(ok(uri, "https://a b"));

  EXPECT_TRUE(ok(yaml("format: hostname-ish"), "anything"));  // unknown formats are ignored
}

TEST(Validator, OneOfMeansExactlyOne) {
  const auto schema = yaml("oneOf: [ { type: integer }, { type: number } ]");
  EXPECT_TRUE(ok(schema, 1.5));  // only number
  EXPECT_THAT(
      errors_of(schema, 2, "n"),
      ElementsAre(fe("n", "must match exactly one of the allowed schemas, but matches 2 (0, 1)")));
  EXPECT_THAT(errors_of(schema, "x", "n"),
              ElementsAre(fe("n", "must match exactly one of the allowed schemas")));

  // No branch matches: the clearly closest one explains why.
  const auto shapes = yaml(R"yaml(
oneOf:
  - { type: object, required: [kind, port], properties: { kind: { const: tcp }, port: { type: integer } } }
  - { type: object, required: [kind, path], properties: { kind: { const: unix }, path: { type: string } } }
)yaml");
  EXPECT_TRUE(ok(shapes, {{"kind", "tcp"}, {"port", 1}}));
  EXPECT_THAT(errors_of(shapes, {{"kind", "tcp"}, {"port", "x"}}, "listen"),
              ElementsAre(fe("listen.port", "must be an integer")));
}

TEST(Validator, AnyOfAllOfNot) {
  const auto any = yaml("anyOf: [ { type: integer }, { type: number } ]");
  EXPECT_TRUE(ok(any, 2));
  EXPECT_THAT(errors_of(any, "x", "a"),
              ElementsAre(fe("a", "must match at least one of the allowed schemas")));

  const auto all = yaml("allOf: [ { minLength: 2 }, { pattern: '^a' } ]");
  EXPECT_TRUE(ok(all, "ab"));
  EXPECT_THAT(errors_of(all, "b", "s"), ElementsAre(fe("s", "must be at least 2 characters long"),
                                                    fe("s", "must match the pattern ^a")));

  const auto negated = yaml("not: { const: root }");
  EXPECT_TRUE(ok(negated, "ada"));
  EXPECT_THAT(errors_of(negated, "root", "name"), ElementsAre(fe("name", "is not allowed")));
}

TEST(Validator, BooleanSchemas) {
  EXPECT_TRUE(ok(true, 1));
  EXPECT_THAT(errors_of(false, 1, "x"), ElementsAre(fe("x", "is not allowed")));
}

TEST(Validator, RefsResolveIntoTheDocument) {
  const json ports = {{"$ref", "#/components/schemas/Ports"}};
  EXPECT_TRUE(ok(ports, json::parse(R"([{"port": 80}])")));
  EXPECT_THAT(errors_of(ports, json::parse(R"([{"port": 0}, {}, 3])"), "ports"),
              ElementsAre(fe("ports[0].port", "must be at least 1"),
                          fe("ports[1].port", "is required"), fe("ports[2]", "must be an object")));
}

TEST(Validator, RefChainsAndCycles) {
  EXPECT_THAT(errors_of({{"$ref", "#/components/schemas/PortAlias"}}, json::object(), "p"),
              ElementsAre(fe("p.port", "is required")));
  EXPECT_THAT(errors_of({{"$ref", "#/components/schemas/Loop"}}, 1, "x"),
              ElementsAre(fe("x", "is nested too deeply")));
  // $ref with siblings: both apply.
  EXPECT_THAT(errors_of({{"$ref", "#/components/schemas/Port"}, {"required", {"name"}}},
                        {{"port", 1}}, "p"),
              ElementsAre(fe("p.name", "is required")));
  // Parameters are reachable too.
  const Validator validator(components_document());
  EXPECT_EQ(validator.resolve("#/components/parameters/Limit").at("name"), "limit");
  EXPECT_THROW(validator.resolve("#/components/schemas/Nope"), std::logic_error);
  EXPECT_THROW(validator.resolve("other.yaml#/x"), std::logic_error);
}

TEST(Validator, ConstructorRefusesABrokenDocument) {
  EXPECT_THROW(
      Validator(yaml("components: { schemas: { A: { $ref: '#/components/schemas/B' } } }")),
      std::logic_error);
  EXPECT_THROW(Validator(yaml("components: { schemas: { A: { pattern: '([a-z' } } }")),
               std::logic_error);
  // An unquoted YAML null in a type list is a null, not "null".
  EXPECT_THROW(Validator(yaml("components: { schemas: { A: { type: [integer, null] } } }")),
               std::logic_error);
  EXPECT_THROW(Validator(yaml("components: { schemas: { A: { type: int } } }")), std::logic_error);
}

// ---------------------------------------------------------------------------------------------
// ContractMiddleware over a hand-written document

namespace {

const json& api_document() {
  static const json doc = contract::yaml_to_json(R"yaml(
openapi: 3.1.0
paths:
  /api/things:
    get:
      operationId: listThings
      parameters:
        - { name: limit, in: query, required: false, schema: { type: integer, minimum: 1, maximum: 500 } }
        - { name: active, in: query, schema: { type: boolean } }
        - { name: ratio, in: query, schema: { type: number } }
        - { name: tag, in: query, schema: { type: array, items: { type: string, maxLength: 3 } } }
        - $ref: "#/components/parameters/Owner"
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/NewThing" }
  /api/things/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: string, pattern: "^[0-9a-f]{24}$" } }
      - { name: verbose, in: query, schema: { type: boolean } }
    get:
      operationId: getThing
    patch:
      operationId: updateThing
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties: { name: { type: string } }
    delete:
      operationId: deleteThing
  /api/search:
    get:
      operationId: search
      parameters:
        - { name: q, in: query, required: true, schema: { type: string, minLength: 1 } }
components:
  parameters:
    Owner: { name: owner, in: query, schema: { type: string, pattern: "^[0-9a-f]{24}$" } }
  schemas:
    NewThing:
      type: object
      additionalProperties: false
      required: [name, ports]
      properties:
        name: { type: string, minLength: 1, maxLength: 5 }
        ports:
          type: array
          minItems: 1
          items:
            type: object
            required: [port]
            properties: { port: { type: integer, minimum: 1, maximum: 65535 } }
        contact: { type: [string, "null"], format: email }
)yaml");
  return doc;
}

std::vector<http::RouteInfo> api_routes() {
  return {{"GET", "/api/things", http::Access::signed_in},
          {"POST", "/api/things", http::Access::signed_in},
          {"GET", "/api/things/{id}", http::Access::signed_in},
          {"PATCH", "/api/things/{id}", http::Access::signed_in},
          {"DELETE", "/api/things/{id}", http::Access::signed_in},
          {"GET", "/api/search", http::Access::anonymous}};
}

const contract::ContractMiddleware& middleware() {
  static const contract::ContractMiddleware m(api_document(), api_routes());
  return m;
}

http::RouteInfo route(const std::string& method, const std::string& pattern) {
  return {method, pattern, http::Access::signed_in};
}

http::Request request(const std::string& method, const std::string& path, const std::string& query,
                      const std::string& body = "") {
  http::Request req;
  req.method = method;
  req.path = path;
  req.query = query;
  req.target = query.empty() ? path : path + "?" + query;
  req.body = body;
  if (!body.empty()) {
    req.headers.add("Content-Type", "application/json");
  }
  return req;
}

// The field errors of a request, none when it passes.
std::vector<core::FieldError> refusal(http::Request req, const http::RouteInfo& r) {
  try {
    middleware().check(req, r);
  } catch (const core::ValidationError& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::validation_failed);
    return e.fields();
  }
  return {};
}

std::vector<core::FieldError> query_refusal(const std::string& query) {
  return refusal(request("GET", "/api/things", query), route("GET", "/api/things"));
}

std::vector<core::FieldError> body_refusal(const std::string& body) {
  return refusal(request("POST", "/api/things", "", body), route("POST", "/api/things"));
}

}  // namespace

TEST(ContractMiddleware, KnownQueryParametersPass) {
  EXPECT_THAT(query_refusal(""), IsEmpty());
  EXPECT_THAT(query_refusal("limit=10&active=true&ratio=0.5&tag=a&tag=bb"), IsEmpty());
  EXPECT_THAT(query_refusal("owner=0123456789abcdef01234567"), IsEmpty());  // $ref parameter
  EXPECT_THAT(query_refusal("ratio=-2&&active=false"), IsEmpty());
}

TEST(ContractMiddleware, UnknownQueryParameterRefused) {
  EXPECT_THAT(query_refusal("limit=5&bogus=1"),
              ElementsAre(fe("bogus", "is not a known parameter")));
  EXPECT_THAT(query_refusal("Limit=5"), ElementsAre(fe("Limit", "is not a known parameter")));
}

TEST(ContractMiddleware, IntegerQueryParsedOrRefused) {
  EXPECT_THAT(query_refusal("limit=500"), IsEmpty());
  EXPECT_THAT(query_refusal("limit=abc"), ElementsAre(fe("limit", "must be an integer")));
  EXPECT_THAT(query_refusal("limit=1.5"), ElementsAre(fe("limit", "must be an integer")));
  EXPECT_THAT(query_refusal("limit="), ElementsAre(fe("limit", "must be an integer")));
  EXPECT_THAT(query_refusal("limit=0"), ElementsAre(fe("limit", "must be at least 1")));
  EXPECT_THAT(query_refusal("limit=501"), ElementsAre(fe("limit", "must be at most 500")));
  EXPECT_THAT(query_refusal("limit=99999999999999999999999"),
              ElementsAre(fe("limit", "must be an integer")));
  EXPECT_THAT(query_refusal("limit=1&limit=2"), ElementsAre(fe("limit", "must be given once")));
}

TEST(ContractMiddleware, BooleanNumberAndArrayQueries) {
  EXPECT_THAT(query_refusal("active=yes"), ElementsAre(fe("active", "must be true or false")));
  EXPECT_THAT(query_refusal("ratio=abc"), ElementsAre(fe("ratio", "must be a number")));
  EXPECT_THAT(query_refusal("tag=abcd&tag=ok"),
              ElementsAre(fe("tag[0]", "must be at most 3 characters long")));
  EXPECT_THAT(query_refusal("owner=%7Bx%7D"),
              ElementsAre(fe("owner", "must match the pattern ^[0-9a-f]{24}$")));
}

TEST(ContractMiddleware, EveryQueryProblemReportedAtOnce) {
  EXPECT_THAT(
      query_refusal("limit=0&x=1&active=1"),
      UnorderedElementsAre(fe("limit", "must be at least 1"), fe("x", "is not a known parameter"),
                           fe("active", "must be true or false")));
}

TEST(ContractMiddleware, RequiredQueryParameter) {
  const auto search = route("GET", "/api/search");
  EXPECT_THAT(refusal(request("GET", "/api/search", ""), search),
              ElementsAre(fe("q", "is required")));
  EXPECT_THAT(refusal(request("GET", "/api/search", "q="), search),
              ElementsAre(fe("q", "must be at least 1 character long")));
  EXPECT_THAT(refusal(request("GET", "/api/search", "q=hello+world"), search), IsEmpty());
}

TEST(ContractMiddleware, PathLevelQueryParametersAndNoPathParameterChecks) {
  const auto get = route("GET", "/api/things/{id}");
  auto req = request("GET", "/api/things/not-an-id", "verbose=true");
  req.params["id"] = "not-an-id";  // handlers answer 404 for ids that do not parse
  EXPECT_THAT(refusal(req, get), IsEmpty());
  EXPECT_THAT(refusal(request("GET", "/api/things/x", "verbose=2"), get),
              ElementsAre(fe("verbose", "must be true or false")));
  EXPECT_THAT(refusal(request("GET", "/api/things/x", "id=1"), get),
              ElementsAre(fe("id", "is not a known parameter")));
}

TEST(ContractMiddleware, BodyValidatedWithEveryError) {
  EXPECT_THAT(body_refusal(R"({"name": "disk", "ports": [{"port": 80}], "contact": null})"),
              IsEmpty());
  EXPECT_THAT(body_refusal(R"({"name": "toolong", "ports": [{"port": 0}, {"port": "x"}, {}],
                               "contact": "nope", "extra": 1})"),
              UnorderedElementsAre(
                  fe("name", "must be at most 5 characters long"),
                  fe("ports[0].port", "must be at least 1"),
                  fe("ports[1].port", "must be an integer"), fe("ports[2].port", "is required"),
                  fe("contact", "must be an email address"), fe("extra", "is not a known field")));
  EXPECT_THAT(body_refusal("[1]"), ElementsAre(fe("body", "must be an object")));
  EXPECT_THAT(body_refusal(R"({"name": "a", "ports": []})"),
              ElementsAre(fe("ports", "must have at least 1 item")));
}

TEST(ContractMiddleware, MissingRequiredBody) {
  EXPECT_THAT(body_refusal(""), ElementsAre(fe("body", "is required")));
}

TEST(ContractMiddleware, BodyErrorsAndQueryErrorsTogether) {
  EXPECT_THAT(
      refusal(request("POST", "/api/things", "debug=1", R"({"name": 1, "ports": [{"port": 1}]})"),
              route("POST", "/api/things")),
      UnorderedElementsAre(fe("debug", "is not a known parameter"),
                           fe("name", "must be a string")));
}

TEST(ContractMiddleware, BodyThatIsNotJsonKeepsItsOwnError) {
  auto req = request("POST", "/api/things", "", "{");
  try {
    middleware().check(req, route("POST", "/api/things"));
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::invalid_json);
  }
  auto form = request("POST", "/api/things", "", "");
  form.body = "name=x";
  form.headers.add("Content-Type", "application/x-www-form-urlencoded");
  try {
    middleware().check(form, route("POST", "/api/things"));
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), core::ErrorCode::unsupported_media_type);
  }
}

TEST(ContractMiddleware, OptionalBodyAndOperationsWithoutBody) {
  const auto patch = route("PATCH", "/api/things/{id}");
  EXPECT_THAT(refusal(request("PATCH", "/api/things/x", ""), patch), IsEmpty());
  EXPECT_THAT(refusal(request("PATCH", "/api/things/x", "", R"({"name": "a"})"), patch), IsEmpty());
  EXPECT_THAT(refusal(request("PATCH", "/api/things/x", "", R"({"nom": "a"})"), patch),
              ElementsAre(fe("nom", "is not a known field")));
  // No requestBody: whatever is sent is ignored, even when it is not JSON.
  auto del = request("DELETE", "/api/things/x", "", "");
  del.body = "not json";
  EXPECT_THAT(refusal(del, route("DELETE", "/api/things/{id}")), IsEmpty());
}

TEST(ContractMiddleware, UndocumentedRoutesStopTheServer) {
  auto routes = api_routes();
  routes.push_back({"PUT", "/api/things/{id}", http::Access::signed_in});
  routes.push_back({"GET", "/api/nope", http::Access::anonymous});
  try {
    const contract::ContractMiddleware m(api_document(), routes);
    ADD_FAILURE() << "constructed";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("PUT /api/things/{id}, GET /api/nope"));
  }
  // Exempted on purpose: let through unchecked.
  const contract::ContractMiddleware m(api_document(), routes,
                                       {"PUT /api/things/{id}", "GET /api/nope"});
  auto req = request("GET", "/api/nope", "anything=1");
  EXPECT_NO_THROW(m.check(req, route("GET", "/api/nope")));
}

TEST(ContractMiddleware, RealDocumentDescribesItsOwnOperations) {
  std::vector<http::RouteInfo> routes;
  for (const auto& [method, path] : contract::operations()) {
    routes.push_back({method, path, http::Access::anonymous});
  }
  EXPECT_NO_THROW(contract::ContractMiddleware{routes});
  const contract::ContractMiddleware m(routes);
  auto req = request("GET", "/api/admin/audit", "limit=0&bogus=1");
  try {
    m.check(req, route("GET", "/api/admin/audit"));
    ADD_FAILURE() << "accepted";
  } catch (const core::ValidationError& e) {
    EXPECT_THAT(e.fields(), UnorderedElementsAre(fe("limit", "must be at least 1"),
                                                 fe("bogus", "is not a known parameter")));
  }
}

TEST(ContractMiddleware, BeforeHandlerThrowsFromTheCoroutine) {
  asio::io_context ioc;
  auto req = request("GET", "/api/things", "limit=0");
  const auto r = route("GET", "/api/things");
  auto m = contract::ContractMiddleware(api_document(), api_routes());
  auto done = asio::co_spawn(ioc, m.before_handler(req, r), asio::use_future);
  ioc.run();
  EXPECT_THROW(done.get(), core::ValidationError);

  auto good = request("GET", "/api/things", "limit=1");
  auto passed = asio::co_spawn(ioc, m.before_handler(good, r), asio::use_future);
  ioc.restart();
  ioc.run();
  EXPECT_NO_THROW(passed.get());
}

// ---------------------------------------------------------------------------------------------
// GET /api/openapi.json

TEST(ContractRoutes, ServesTheDocument) {
  http::Router router;
  contract::ContractRoutes routes;
  routes.register_routes(router);
  const auto match = router.match("GET", "/api/openapi.json");
  EXPECT_EQ(match.route->access, http::Access::anonymous);

  asio::io_context ioc;
  http::Request req = request("GET", "/api/openapi.json", "");
  auto done = asio::co_spawn(ioc, (*match.handler)(req), asio::use_future);
  ioc.run();
  const auto res = done.get();
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(res.headers.get("Cache-Control"), "public, max-age=300");
  EXPECT_EQ(json::parse(res.body), contract::openapi());

  // Documented, so the contract middleware accepts the route.
  EXPECT_NO_THROW(contract::ContractMiddleware{router.routes()});
}
