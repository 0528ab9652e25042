#pragma once
#include <string>
#include <string_view>

namespace neuropod::core {

// Random lowercase hex string of `bytes` random bytes (OpenSSL CSPRNG).
std::string random_hex(std::size_t bytes);

// A new request id (16 hex chars), or the client's one if it is safe to echo and log.
std::string request_id_or_new(std::string_view from_client);

}  // namespace neuropod::core
