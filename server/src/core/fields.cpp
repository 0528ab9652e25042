#include "core/fields.hpp"

namespace neuropod::core {

namespace {

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    n += (c & 0xC0U) != 0x80U ? 1 : 0;
  }
  return n;
}

}  // namespace

void Fields::fail(const std::string& key, const std::string& message) {
  errors_.push_back(FieldError{path(key), message});
}

const nlohmann::json* Fields::value(const std::string& key, bool required) {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) {
    if (required) {
      fail(key, "is required");
    }
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> Fields::string(const std::string& key, bool required,
                                          std::size_t min_len, std::size_t max_len) {
  const auto* v = value(key, required);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    fail(key, "must be a string");
    return std::nullopt;
  }
  auto s = v->get<std::string>();
  const auto len = utf8_length(s);
  if (len < min_len || len > max_len) {
    fail(key, min_len == max_len ? "must be " + std::to_string(min_len) + " characters"
                                 : "must be " + std::to_string(min_len) + " to " +
                                       std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Fields::integer(const std::string& key, bool required, std::int64_t min,
                                            std::int64_t max) {
  const auto* v = value(key, required);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    fail(key, "must be a whole number");
    return std::nullopt;
  }
  const bool too_big =
      v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
  const auto n = too_big ? std::int64_t{0} : v->get<std::int64_t>();
  if (too_big || n < min || n > max) {
    fail(key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Fields::boolean(const std::string& key, bool required) {
  const auto* v = value(key, required);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    fail(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

void Fields::throw_if_any() {
  if (!errors_.empty()) {
    throw ValidationError(std::move(errors_));
  }
}

}  // namespace neuropod::core
