#pragma once
// Reading a JSON request body field by field, collecting every problem as a FieldError, then
// throwing one ValidationError (400, per-field). The contract middleware checks shapes first;
// this keeps the domain rules (and stays safe when a route's schema is looser).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace neuropod::core {

class Fields {
 public:
  explicit Fields(const nlohmann::json& object, std::string prefix = {})
      : obj_(object), prefix_(std::move(prefix)) {}

  std::optional<std::string> string(const std::string& key, bool required, std::size_t min_len,
                                    std::size_t max_len);
  std::optional<std::int64_t> integer(const std::string& key, bool required, std::int64_t min,
                                      std::int64_t max);
  std::optional<bool> boolean(const std::string& key, bool required);
  // The raw value when present (arrays, objects); type-checked by the caller with fail().
  const nlohmann::json* value(const std::string& key, bool required);

  void fail(const std::string& key, const std::string& message);
  std::string path(const std::string& key) const { return prefix_ + key; }
  std::vector<FieldError>& errors() { return errors_; }
  // Throws ValidationError with everything collected (and `more`), if anything.
  void throw_if_any();
  void absorb(Fields& nested) {
    errors_.insert(errors_.end(), nested.errors_.begin(), nested.errors_.end());
    nested.errors_.clear();
  }

 private:
  const nlohmann::json& obj_;
  std::string prefix_;
  std::vector<FieldError> errors_;
};

}  // namespace neuropod::core
