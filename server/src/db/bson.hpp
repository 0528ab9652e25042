#pragma once
// Thin RAII layer over libbson. Documents are built from typed values only: a request's JSON is
// never turned into a filter, so user input can never become a query operator.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bson/bson.h>
#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace neuropod::db {

class Oid {
 public:
  static Oid generate();
  // 24 hex characters, or nullopt (callers answer 404 for ids that don't parse).
  static std::optional<Oid> parse(std::string_view hex);
  std::string to_string() const;
  const std::array<std::uint8_t, 12>& bytes() const { return bytes_; }
  bool operator==(const Oid&) const = default;

 private:
  std::array<std::uint8_t, 12> bytes_{};
  friend class Doc;
};

class Array;

// An owned BSON document with typed append and typed getters.
class Doc {
 public:
  Doc();
  Doc(const Doc& other);
  Doc& operator=(const Doc& other);
  Doc(Doc&&) noexcept;
  Doc& operator=(Doc&&) noexcept;
  ~Doc();

  // Takes ownership of a bson_t allocated with bson_new/bson_copy.
  static Doc adopt(bson_t* raw);
  // Copies a borrowed bson_t.
  static Doc copy_of(const bson_t* raw);
  // From server-built JSON (audit details). Never pass request JSON: "$" keys become BSON types.
  static Doc from_json(const nlohmann::json& object);

  Doc& append(std::string_view key, std::string_view value);
  Doc& append(std::string_view key, const char* value) {
    return append(key, std::string_view(value));
  }
  Doc& append(std::string_view key, const std::string& value) {
    return append(key, std::string_view(value));
  }
  Doc& append(std::string_view key, std::int32_t value);
  Doc& append(std::string_view key, std::int64_t value);
  Doc& append(std::string_view key, bool value);
  Doc& append(std::string_view key, double value);
  Doc& append(std::string_view key, const Oid& value);
  Doc& append(std::string_view key, core::TimePoint value);
  Doc& append(std::string_view key, const Doc& value);
  Doc& append(std::string_view key, const Array& value);
  Doc& append_null(std::string_view key);

  bool has(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<std::int64_t> get_int64(std::string_view key) const;  // int32/int64/double
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<double> get_double(std::string_view key) const;
  std::optional<Oid> get_oid(std::string_view key) const;
  std::optional<core::TimePoint> get_time(std::string_view key) const;
  std::optional<Doc> get_doc(std::string_view key) const;
  // Array of documents or scalars as documents? Only documents are returned.
  std::vector<Doc> get_doc_array(std::string_view key) const;
  std::vector<std::string> get_string_array(std::string_view key) const;
  std::vector<std::string> keys() const;

  // Relaxed extended JSON, for logs, tests and diagnostics.
  nlohmann::json to_json() const;

  const bson_t* raw() const { return doc_; }
  bson_t* raw_mut() { return doc_; }

 private:
  // Owned (bson_new/bson_copy), destroyed in ~Doc. A raw pointer because bson_t's alignment
  // attribute is dropped as a template argument (std::unique_ptr<bson_t>).
  bson_t* doc_;
};

class Array {
 public:
  Array& push(std::string_view value);
  Array& push(const char* value) { return push(std::string_view(value)); }
  Array& push(const std::string& value) { return push(std::string_view(value)); }
  Array& push(std::int64_t value);
  Array& push(const Oid& value);
  Array& push(const Doc& value);
  const Doc& doc() const { return doc_; }
  std::size_t size() const { return count_; }

 private:
  std::string next_key() { return std::to_string(count_++); }
  Doc doc_;
  std::size_t count_ = 0;
};

}  // namespace neuropod::db
