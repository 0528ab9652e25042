#include "core/errors.hpp"

namespace neuropod::core {

const std::vector<ErrorCode>& all_error_codes() {
  static const std::vector<ErrorCode> codes = {
      ErrorCode::bad_request,
      ErrorCode::invalid_json,
      ErrorCode::validation_failed,
      ErrorCode::unauthorized,
      ErrorCode::sign_in_failed,
      ErrorCode::forbidden,
      ErrorCode::account_blocked,
      ErrorCode::csrf_rejected,
      ErrorCode::not_found,
      ErrorCode::route_not_found,
      ErrorCode::method_not_allowed,
      ErrorCode::conflict,
      ErrorCode::insufficient_balance,
      ErrorCode::pod_limit_reached,
      ErrorCode::payload_too_large,
      ErrorCode::unsupported_media_type,
      ErrorCode::request_timeout,
      ErrorCode::too_many_requests,
      ErrorCode::service_unavailable,
      ErrorCode::database_unavailable,
      ErrorCode::kubernetes_unavailable,
      ErrorCode::internal,
  };
  return codes;
}

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::validation_failed: return "validation_failed";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::sign_in_failed: return "sign_in_failed";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::account_blocked: return "account_blocked";
    case ErrorCode::csrf_rejected: return "csrf_rejected";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::route_not_found: return "route_not_found";
    case ErrorCode::method_not_allowed: return "method_not_allowed";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unsupported_media_type: return "unsupported_media_type";
    case ErrorCode::request_timeout: return "request_timeout";
    case ErrorCode::too_many_requests: return "too_many_requests";
    case ErrorCode::service_unavailable: return "service_unavailable";
    case ErrorCode::database_unavailable: return "database_unavailable";
    case ErrorCode::kubernetes_unavailable: return "kubernetes_unavailable";
    case ErrorCode::insufficient_balance: return "insufficient_balance";
    case ErrorCode::pod_limit_reached: return "pod_limit_reached";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

Error::Error(ErrorCode code, const std::string& message, nlohmann::json details)
    : std::runtime_error(message), code_(code), details_(std::move(details)) {}

namespace {
nlohmann::json fields_json(const std::vector<FieldError>& fields) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : fields) {
    list.push_back({{"field", f.field}, {"message", f.message}});
  }
  return {{"fields", std::move(list)}};
}
}  // namespace

ValidationError::ValidationError(std::vector<FieldError> fields)
    : Error(ErrorCode::validation_failed, "The request has invalid values", fields_json(fields)),
      fields_(std::move(fields)) {}

}  // namespace neuropod::core
