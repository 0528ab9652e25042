#include "core/money.hpp"

#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace neuropod::core {

Micros Micros::parse_eur(const std::string& text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 10;
  std::int64_t whole = 0;
  std::size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    if (whole > kMax / 1'000'000) {
      throw std::invalid_argument("amount out of range");
    }
    whole = whole * 10 + (text[i] - '0');
  }
  std::int64_t frac = 0;
  std::size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits == 6) {
        throw std::invalid_argument("at most 6 decimals");
      }
      frac = frac * 10 + (text[i] - '0');
    }
  }
  if (i != text.size() || (digits == 0 && frac_digits == 0)) {
    throw std::invalid_argument("not a decimal amount");
  }
  for (std::size_t k = frac_digits; k < 6; ++k) {
    frac *= 10;
  }
  const std::int64_t value = whole * 1'000'000 + frac;
  return Micros(negative ? -value : value);
}

std::string Micros::to_eur_string() const {
  const bool negative = value_ < 0;
  const std::uint64_t abs = negative ? static_cast<std::uint64_t>(-(value_ + 1)) + 1U
                                     : static_cast<std::uint64_t>(value_);
  return fmt::format("{}{}.{:06}", negative ? "-" : "", abs / 1'000'000U, abs % 1'000'000U);
}

std::string Micros::to_display() const {
  const bool negative = value_ < 0;
  const std::uint64_t abs = negative ? static_cast<std::uint64_t>(-(value_ + 1)) + 1U
                                     : static_cast<std::uint64_t>(value_);
  auto fraction = fmt::format("{:06}", abs % 1'000'000U);
  std::size_t keep = 2;  // cents, unless the amount is not a whole number of them
  while (keep < fraction.size() && fraction.find_first_not_of('0', keep) != std::string::npos) {
    ++keep;
  }
  fraction.resize(keep);
  return fmt::format("{}€{}.{}", negative ? "-" : "", abs / 1'000'000U, fraction);
}

}  // namespace neuropod::core
