#include "http/error_mapping.hpp"

#include "core/logging.hpp"

namespace neuropod::http {

unsigned status_for(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::bad_request: return 400;
    case ErrorCode::invalid_json: return 400;
    case ErrorCode::validation_failed: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::sign_in_failed: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::account_blocked: return 403;
    case ErrorCode::csrf_rejected: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::route_not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::conflict: return 409;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::request_timeout: return 408;
    case ErrorCode::too_many_requests: return 429;
    case ErrorCode::service_unavailable: return 503;
    case ErrorCode::database_unavailable: return 503;
    case ErrorCode::kubernetes_unavailable: return 503;
    case ErrorCode::insufficient_balance: return 402;
    case ErrorCode::pod_limit_reached: return 409;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

Response error_response(core::ErrorCode code, const std::string& message,
                        const nlohmann::json& details, const std::string& request_id) {
  nlohmann::json err = {{"code", core::to_string(code)}, {"message", message}};
  if (details.is_object() && !details.empty()) {
    err["details"] = details;
  }
  if (!request_id.empty()) {
    err["request_id"] = request_id;
  }
  auto res = Response::json(status_for(code), {{"error", std::move(err)}});
  if (code == core::ErrorCode::method_not_allowed && details.contains("allowed")) {
    std::string allow;
    for (const auto& m : details["allowed"]) {
      if (!allow.empty()) {
        allow += ", ";
      }
      allow += m.get<std::string>();
    }
    res.headers.set("Allow", allow);
  }
  if (code == core::ErrorCode::too_many_requests && details.contains("retry_after_s")) {
    res.headers.set("Retry-After", details["retry_after_s"].dump());
  }
  return res;
}

Response response_for_exception(std::exception_ptr error, const std::string& request_id) {
  try {
    std::rethrow_exception(error);
  } catch (const core::Error& e) {
    if (e.code() != core::ErrorCode::internal) {
      return error_response(e.code(), e.what(), e.details(), request_id);
    }
    log::error("http.internal_error", {{"request_id", request_id}, {"what", e.what()}});
  } catch (const std::exception& e) {
    log::error("http.unexpected_exception", {{"request_id", request_id}, {"what", e.what()}});
  } catch (...) {
    log::error("http.unexpected_exception", {{"request_id", request_id}, {"what", "unknown"}});
  }
  return error_response(core::ErrorCode::internal, "Something went wrong on our side", nullptr,
                        request_id);
}

}  // namespace neuropod::http
