#pragma once
#include <string>
#include <string_view>

namespace neuropod::core {

// Random lowercase hex string of `bytes` random bytes (OpenSSL CSPRNG).
std::string random_hex(std::size_t bytes);

// A new request id: 16 hex chars, unique in practice but not secret (a per-thread random start
// and a counter through splitmix64: no system call, unlike random_hex).
std::string new_request_id();

// The client's request id if it is safe to echo and log, else new_request_id().
std::string request_id_or_new(std::string_view from_client);

}  // namespace neuropod::core
