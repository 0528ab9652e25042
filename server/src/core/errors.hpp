#pragma once
// Typed errors. Domain code throws these; http/error_mapping.cpp turns them into HTTP responses
// in one place. Never build an HTTP error response anywhere else.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace neuropod::core {

enum class ErrorCode : std::uint8_t {
  bad_request,
  invalid_json,
  validation_failed,
  unauthorized,
  sign_in_failed,
  forbidden,
  account_blocked,
  csrf_rejected,
  not_found,
  route_not_found,
  method_not_allowed,
  conflict,
  insufficient_balance,
  pod_limit_reached,
  payload_too_large,
  unsupported_media_type,
  request_timeout,
  too_many_requests,
  service_unavailable,
  database_unavailable,
  kubernetes_unavailable,
  internal,
};

// Every code, in declaration order (for exhaustive tests and the contract check).
const std::vector<ErrorCode>& all_error_codes();
std::string_view to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, nlohmann::json details = nullptr);
  ErrorCode code() const { return code_; }
  const nlohmann::json& details() const { return details_; }

 private:
  ErrorCode code_;
  nlohmann::json details_;
};

struct FieldError {
  std::string field;
  std::string message;
};

// 400 validation_failed with one entry per bad field.
class ValidationError : public Error {
 public:
  explicit ValidationError(std::vector<FieldError> fields);
  ValidationError(std::string field, std::string message)
      : ValidationError(std::vector<FieldError>{FieldError{std::move(field), std::move(message)}}) {
  }
  const std::vector<FieldError>& fields() const { return fields_; }

 private:
  std::vector<FieldError> fields_;
};

class NotFound : public Error {
 public:
  explicit NotFound(const std::string& what) : Error(ErrorCode::not_found, what + " not found") {}
};

class Conflict : public Error {
 public:
  explicit Conflict(const std::string& message, nlohmann::json details = nullptr)
      : Error(ErrorCode::conflict, message, std::move(details)) {}
};

// 401: no valid session. `reason` says why (missing, invalid, expired, revoked).
class Unauthorized : public Error {
 public:
  explicit Unauthorized(const std::string& reason,
                        const std::string& message = "You need to sign in")
      : Error(ErrorCode::unauthorized, message, {{"reason", reason}}) {}
};

class Forbidden : public Error {
 public:
  explicit Forbidden(const std::string& message) : Error(ErrorCode::forbidden, message) {}
};

// 429 with Retry-After.
class TooManyRequests : public Error {
 public:
  explicit TooManyRequests(long long retry_after_seconds)
      : Error(ErrorCode::too_many_requests, "Too many requests, try again later",
              {{"retry_after_s", retry_after_seconds}}) {}
};

class DatabaseUnavailable : public Error {
 public:
  explicit DatabaseUnavailable(const std::string& message)
      : Error(ErrorCode::database_unavailable, message) {}
};

class ServiceUnavailable : public Error {
 public:
  explicit ServiceUnavailable(const std::string& message)
      : Error(ErrorCode::service_unavailable, message) {}
};

}  // namespace neuropod::core
