#include "crypto/crypto.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace neuropod::crypto {

namespace {

std::string with_openssl_errors(std::string_view operation) {
  std::string message = "OpenSSL: ";
  message += operation;
  message += " failed";
  std::array<char, 256> buf{};
  bool first = true;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    ERR_error_string_n(code, buf.data(), buf.size());
    message += first ? ": " : "; ";
    message += buf.data();
    first = false;
  }
  return message;
}

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;
using ReverseTable = std::array<std::uint8_t, 256>;

constexpr ReverseTable reverse_table(std::string_view alphabet) {
  ReverseTable table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr ReverseTable kUrlReverse = reverse_table(kUrlAlphabet);
constexpr ReverseTable kStdReverse = reverse_table(kStdAlphabet);

std::string encode(std::string_view bytes, std::string_view alphabet) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U) |
                            std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(alphabet[(v >> 18U) & 0x3FU]);
    out.push_back(alphabet[(v >> 12U) & 0x3FU]);
    out.push_back(alphabet[(v >> 6U) & 0x3FU]);
    out.push_back(alphabet[v & 0x3FU]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U;
    out.push_back(alphabet[(v >> 18U) & 0x3FU]);
    out.push_back(alphabet[(v >> 12U) & 0x3FU]);
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U);
    out.push_back(alphabet[(v >> 18U) & 0x3FU]);
    out.push_back(alphabet[(v >> 12U) & 0x3FU]);
    out.push_back(alphabet[(v >> 6U) & 0x3FU]);
  }
  return out;
}

// Strict decoder: optional complete '=' padding, canonical trailing bits.
std::optional<std::string> decode(std::string_view text, const ReverseTable& table) {
  std::size_t pads = 0;
  while (pads < text.size() && text[text.size() - 1 - pads] == '=') {
    ++pads;
  }
  if (pads > 0 && (pads > 2 || text.size() % 4 != 0)) {
    return std::nullopt;
  }
  const std::string_view body = text.substr(0, text.size() - pads);
  if (body.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (const char c : body) {
    const std::uint8_t v = table[static_cast<unsigned char>(c)];
    if (v == kInvalid) {
      return std::nullopt;
    }
    acc = (acc << 6U) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFU));
    }
  }
  // 2 or 4 bits are left over after a partial group; they must be zero.
  if ((acc & ((1U << bits) - 1U)) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

OpenSslError::OpenSslError(std::string_view operation)
    : std::runtime_error(with_openssl_errors(operation)) {}

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, kUrlAlphabet);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, kUrlReverse);
}

std::string base64_decode_or_throw(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      compact.push_back(c);
    }
  }
  auto decoded = decode(compact, kStdReverse);
  if (!decoded) {
    throw std::invalid_argument(
        "invalid base64: characters outside the standard alphabet, bad padding or bad length");
  }
  return std::move(*decoded);
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  std::size_t len = 0;
  if (EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), md.data(), &len) != 1 ||
      len != 32) {
    throw OpenSslError("SHA-256 digest");
  }
  return {reinterpret_cast<const char*>(md.data()), len};
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t len = 0;
  // OpenSSL refuses a null key pointer; an empty key is legal HMAC, so point at something.
  static constexpr unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_ptr, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
                mac.size(), &len) == nullptr ||
      len != 32) {
    throw OpenSslError("HMAC-SHA256");
  }
  return {reinterpret_cast<const char*>(mac.data()), len};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), static_cast<int>(chunk)) !=
        1) {
      throw OpenSslError("RAND_bytes");
    }
    done += chunk;
  }
  return out;
}

std::string pkce_verifier() {
  return base64url_encode(random_bytes(32));
}

std::string pkce_challenge_s256(std::string_view verifier) {
  return base64url_encode(sha256(verifier));
}

}  // namespace neuropod::crypto
