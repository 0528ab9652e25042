#pragma once
// Reading Kubernetes objects without ever throwing: a missing or mistyped field reads as absent
// (null, empty string, empty array). Kubernetes omits empty fields, and what it sends (or what a
// broken proxy sends) must never crash the backend.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace neuropod::k8s {

// j[key] when j is an object that has it, else a null value.
inline const nlohmann::json& field(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json missing;
  if (!j.is_object()) {
    return missing;
  }
  const auto it = j.find(key);
  return it == j.end() ? missing : *it;
}

// j when it is an array, else an empty array.
inline const nlohmann::json& array_of(const nlohmann::json& j) {
  static const nlohmann::json empty = nlohmann::json::array();
  return j.is_array() ? j : empty;
}

// j when it is a string, else "".
inline std::string string_of(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : std::string();
}

// field(field(j, a), b) as a string.
inline std::string string_at(const nlohmann::json& j, std::string_view key) {
  return string_of(field(j, key));
}

}  // namespace neuropod::k8s
