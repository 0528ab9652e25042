#pragma once
// The one place where errors become HTTP responses:
//   { "error": { "code", "message", "details"?, "request_id" } }
#include <exception>
#include <string>

#include "core/errors.hpp"
#include "http/message.hpp"

namespace neuropod::http {

unsigned status_for(core::ErrorCode code);

Response error_response(core::ErrorCode code, const std::string& message,
                        const nlohmann::json& details, const std::string& request_id);

// Maps any exception: core::Error by its code; anything else is logged with the request id and
// answered as a generic 500 that leaks nothing.
Response response_for_exception(std::exception_ptr error, const std::string& request_id);

}  // namespace neuropod::http
