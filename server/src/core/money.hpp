#pragma once
// Money is integer micro-euros (1 EUR = 1,000,000), never a double.
#include <compare>
#include <cstdint>
#include <string>

namespace neuropod::core {

class Micros {
 public:
  constexpr Micros() = default;
  constexpr explicit Micros(std::int64_t value) : value_(value) {}
  static constexpr Micros from_eur(std::int64_t eur) { return Micros(eur * 1'000'000); }
  // Parses "10", "10.5", "-0.000001" (at most 6 decimals). Throws std::invalid_argument.
  static Micros parse_eur(const std::string& text);

  constexpr std::int64_t value() const { return value_; }
  std::string to_eur_string() const;  // "10.500000"
  // For people: "€10.50"; with more decimals only where cents would hide the amount
  // ("€0.0042", at most 6), and "-€1.20" below zero.
  std::string to_display() const;

  constexpr auto operator<=>(const Micros&) const = default;  // NOLINT(modernize-use-nullptr)
  constexpr Micros operator+(Micros o) const { return Micros(value_ + o.value_); }
  constexpr Micros operator-(Micros o) const { return Micros(value_ - o.value_); }

 private:
  std::int64_t value_ = 0;
};

}  // namespace neuropod::core
