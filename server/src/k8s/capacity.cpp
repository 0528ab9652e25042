#include "k8s/capacity.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k8s/json_access.hpp"

namespace neuropod::k8s {

using nlohmann::json;

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kPositiveLimit = static_cast<std::uint64_t>(kInt64Max);
constexpr std::uint64_t kNegativeLimit = kPositiveLimit + 1;  // |INT64_MIN|
constexpr std::size_t kMaxUint64Digits = 19;                  // 10^19 > kNegativeLimit
// |exponents| above this give 0/1 or an overflow anyway; clamping keeps the arithmetic in range.
constexpr std::int64_t kExponentClamp = 1'000'000'000;
constexpr const char* kGpu = "nvidia.com/gpu";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A quantity as sign * digits * 10^exp10 * 1024^binary, digits without leading or trailing zeros
// (empty: the value is 0).
struct Decimal {
  bool negative = false;
  std::string digits;
  std::int64_t exp10 = 0;
  int binary = 0;
};

// "e<signed integer>" after the number, clamped to +-kExponentClamp.
std::optional<std::int64_t> parse_exponent(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (const char c : s) {
    if (!is_digit(c)) {
      return std::nullopt;
    }
    value = std::min(value * 10 + (c - '0'), kExponentClamp);
  }
  return negative ? -value : value;
}

std::optional<Decimal> parse(std::string_view q) {
  Decimal d;
  std::size_t i = 0;
  if (i < q.size() && (q[i] == '+' || q[i] == '-')) {
    d.negative = q[i] == '-';
    ++i;
  }
  bool any_digit = false;
  for (; i < q.size() && is_digit(q[i]); ++i) {
    d.digits.push_back(q[i]);
    any_digit = true;
  }
  if (i < q.size() && q[i] == '.') {
    for (++i; i < q.size() && is_digit(q[i]); ++i) {
      d.digits.push_back(q[i]);
      --d.exp10;
      any_digit = true;
    }
  }
  if (!any_digit) {
    return std::nullopt;
  }
  const std::string_view suffix = q.substr(i);
  if (suffix.size() == 1) {
    switch (suffix.front()) {
      case 'n': d.exp10 -= 9; break;
      case 'u': d.exp10 -= 6; break;
      case 'm': d.exp10 -= 3; break;
      case 'k': d.exp10 += 3; break;
      case 'M': d.exp10 += 6; break;
      case 'G': d.exp10 += 9; break;
      case 'T': d.exp10 += 12; break;
      case 'P': d.exp10 += 15; break;
      case 'E': d.exp10 += 18; break;
      default: return std::nullopt;
    }
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    const std::size_t power = kBinary.find(suffix.front());
    if (power == std::string_view::npos) {
      return std::nullopt;
    }
    d.binary = static_cast<int>(power) + 1;
  } else if (!suffix.empty()) {
    if (suffix.front() != 'e' && suffix.front() != 'E') {
      return std::nullopt;
    }
    const std::optional<std::int64_t> exponent = parse_exponent(suffix.substr(1));
    if (!exponent) {
      return std::nullopt;
    }
    d.exp10 += *exponent;
  }
  // Normalize: no leading zeros, trailing zeros moved into the exponent.
  const std::size_t first = d.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    d.digits.clear();
    return d;
  }
  d.digits.erase(0, first);
  while (d.digits.back() == '0') {
    d.digits.pop_back();
    ++d.exp10;
  }
  return d;
}

// a * b, nullopt when above `limit`.
std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t limit) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product) || product > limit) {
    return std::nullopt;
  }
  return product;
}

// A string of at most kMaxUint64Digits digits as a number (empty: 0).
std::uint64_t to_uint(std::string_view digits) {
  std::uint64_t value = 0;
  for (const char c : digits) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// ceil(digits * 10^exp10 * 1024^binary), nullopt when above `limit`.
std::optional<std::uint64_t> magnitude(const Decimal& d, std::int64_t exp10, std::uint64_t limit) {
  if (d.digits.empty()) {
    return 0;
  }
  const std::uint64_t base = std::uint64_t{1} << static_cast<unsigned>(10 * d.binary);  // <= 2^60
  if (exp10 >= 0) {
    if (d.digits.size() > kMaxUint64Digits) {
      return std::nullopt;  // at least 10^19
    }
    std::optional<std::uint64_t> value = checked_mul(to_uint(d.digits), base, limit);
    for (std::int64_t i = 0; value && i < exp10; ++i) {
      value = checked_mul(*value, 10, limit);  // the value is >= 1: overflows within 64 steps
    }
    return value;
  }
  // Integer part q and fraction r: digits = q followed by the last `scale` digits r (r has leading
  // zeros when scale > digits.size()). Result = q * base + ceil(0.r * base).
  const auto scale = static_cast<std::uint64_t>(-exp10);
  const std::string_view all = d.digits;
  const std::size_t split = all.size() > scale ? all.size() - static_cast<std::size_t>(scale) : 0;
  const std::string_view whole = all.substr(0, split);
  const std::string_view fraction = all.substr(split);
  if (whole.size() > kMaxUint64Digits) {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> whole_value = checked_mul(to_uint(whole), base, limit);
  if (!whole_value) {
    return std::nullopt;
  }
  // 0.r * base by long multiplication from the last digit: the digits written out are the
  // fraction of the product, `carry` ends as its integer part. carry < base keeps
  // digit * base + carry below 10 * 2^60.
  std::uint64_t carry = 0;
  bool inexact = false;
  for (auto it = fraction.rbegin(); it != fraction.rend(); ++it) {
    const std::uint64_t t = static_cast<std::uint64_t>(*it - '0') * base + carry;
    inexact = inexact || t % 10 != 0;
    carry = t / 10;
  }
  // The leading zeros of r (when scale > digits.size()) only shift the carry further down.
  for (std::uint64_t zeros = scale - fraction.size(); carry != 0 && zeros > 0; --zeros) {
    inexact = inexact || carry % 10 != 0;
    carry /= 10;
  }
  const std::uint64_t fraction_value = carry + (inexact ? 1 : 0);
  if (fraction_value > limit - *whole_value) {
    return std::nullopt;
  }
  return *whole_value + fraction_value;
}

std::optional<std::int64_t> scaled(std::string_view q, std::int64_t extra_exp10) {
  const std::optional<Decimal> d = parse(q);
  if (!d) {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> m =
      magnitude(*d, d->exp10 + extra_exp10, d->negative ? kNegativeLimit : kPositiveLimit);
  if (!m) {
    return std::nullopt;
  }
  if (!d->negative) {
    return static_cast<std::int64_t>(*m);
  }
  if (*m == kNegativeLimit) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return -static_cast<std::int64_t>(*m);
}

// ---- JSON access that never throws (see k8s/json_access.hpp) ----------------------------------

const json& items(const json& list) {
  static const json empty = json::array();
  const json& i = field(list, "items");
  return i.is_array() ? i : empty;
}

// ---- amounts -----------------------------------------------------------------------------------

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? kInt64Max : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

// A quantity (string, or a JSON number as some clients write it), in thousandths or units; 0
// when missing, garbled or negative.
std::int64_t amount(const json& q, bool milli) {
  std::string text;
  if (q.is_string()) {
    text = q.get<std::string>();
  } else if (q.is_number()) {
    text = q.dump();
  } else {
    return 0;
  }
  const std::optional<std::int64_t> v = milli ? quantity_milli(text) : quantity_value(text);
  return v && *v > 0 ? *v : 0;
}

struct Amounts {
  std::int64_t cpu_millis = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t gpus = 0;

  Amounts& operator+=(const Amounts& o) {
    cpu_millis = saturating_add(cpu_millis, o.cpu_millis);
    memory_bytes = saturating_add(memory_bytes, o.memory_bytes);
    gpus = saturating_add(gpus, o.gpus);
    return *this;
  }
};

Amounts operator+(Amounts a, const Amounts& b) {
  a += b;
  return a;
}

Amounts max_of(const Amounts& a, const Amounts& b) {
  return {std::max(a.cpu_millis, b.cpu_millis), std::max(a.memory_bytes, b.memory_bytes),
          std::max(a.gpus, b.gpus)};
}

// A resource map such as status.allocatable or spec.overhead.
Amounts amounts_of(const json& map) {
  return {amount(field(map, "cpu"), true), amount(field(map, "memory"), false),
          amount(field(map, kGpu), false)};
}

// A container's requests; a resource without a request takes its limit.
Amounts container_request(const json& container) {
  const json& resources = field(container, "resources");
  const json& requests = field(resources, "requests");
  const json& limits = field(resources, "limits");
  const auto pick = [&](const char* name) -> const json& {
    const json& r = field(requests, name);
    return r.is_null() ? field(limits, name) : r;
  };
  return {amount(pick("cpu"), true), amount(pick("memory"), false), amount(pick(kGpu), false)};
}

// What the scheduler reserves for a pod (k8s.io/component-helpers resource.PodRequests).
Amounts pod_request(const json& spec) {
  Amounts containers;
  const json& regular = field(spec, "containers");
  if (regular.is_array()) {
    for (const json& c : regular) {
      containers += container_request(c);
    }
  }
  Amounts sidecars;
  Amounts init;
  const json& init_containers = field(spec, "initContainers");
  if (init_containers.is_array()) {
    for (const json& c : init_containers) {
      Amounts request = container_request(c);
      if (string_of(field(c, "restartPolicy")) == "Always") {
        containers += request;
        sidecars += request;
        request = sidecars;
      } else {
        request += sidecars;
      }
      init = max_of(init, request);
    }
  }
  return max_of(containers, init) + amounts_of(field(spec, "overhead"));
}

bool condition_true(const json& status, std::string_view type) {
  const json& conditions = field(status, "conditions");
  if (!conditions.is_array()) {
    return false;
  }
  return std::any_of(conditions.begin(), conditions.end(), [&](const json& c) {
    return string_of(field(c, "type")) == type && string_of(field(c, "status")) == "True";
  });
}

NodeCapacity node_capacity(const json& node) {
  NodeCapacity n;
  n.name = string_of(field(field(node, "metadata"), "name"));
  const json& spec = field(node, "spec");
  const json& status = field(node, "status");

  bool blocking_taint = false;
  const json& taints = field(spec, "taints");
  if (taints.is_array()) {
    for (const json& t : taints) {
      const std::string effect = string_of(field(t, "effect"));
      if (effect != "NoSchedule" && effect != "NoExecute") {
        continue;
      }
      if (string_of(field(t, "key")) == kGpu && effect == "NoSchedule") {
        n.gpu_tainted = true;
      } else {
        blocking_taint = true;
      }
    }
  }
  const json& unschedulable = field(spec, "unschedulable");
  n.schedulable = condition_true(status, "Ready") &&
                  !(unschedulable.is_boolean() && unschedulable.get<bool>()) && !blocking_taint;

  const json& allocatable = field(status, "allocatable");
  const Amounts a = amounts_of(allocatable);
  n.cpu_millis_allocatable = n.cpu_millis_free = a.cpu_millis;
  n.memory_bytes_allocatable = n.memory_bytes_free = a.memory_bytes;
  n.gpus_allocatable = n.gpus_free = a.gpus;
  n.pods_allocatable = n.pods_free = amount(field(allocatable, "pods"), false);
  return n;
}

std::int64_t free_after(std::int64_t allocatable, std::int64_t used) {
  return used >= allocatable ? 0 : allocatable - used;
}

}  // namespace

std::optional<std::int64_t> quantity_milli(std::string_view q) {
  return scaled(q, 3);
}

std::optional<std::int64_t> quantity_value(std::string_view q) {
  return scaled(q, 0);
}

Capacity capacity(const json& nodes, const json& pods) {
  std::map<std::string, NodeCapacity> by_name;
  for (const json& node : items(nodes)) {
    NodeCapacity n = node_capacity(node);
    if (!n.name.empty()) {
      std::string name = n.name;
      by_name.emplace(std::move(name), std::move(n));
    }
  }

  std::map<std::string, std::pair<Amounts, std::int64_t>> used;  // node -> (requests, pods)
  for (const json& pod : items(pods)) {
    const json& spec = field(pod, "spec");
    const std::string node = string_of(field(spec, "nodeName"));
    const std::string phase = string_of(field(field(pod, "status"), "phase"));
    if (node.empty() || phase == "Succeeded" || phase == "Failed" || !by_name.contains(node)) {
      continue;
    }
    auto& [requests, count] = used[node];
    requests += pod_request(spec);
    count = saturating_add(count, 1);
  }

  Capacity c;
  c.nodes.reserve(by_name.size());
  for (auto& [name, n] : by_name) {
    if (const auto it = used.find(name); it != used.end()) {
      const auto& [requests, count] = it->second;
      n.cpu_millis_free = free_after(n.cpu_millis_allocatable, requests.cpu_millis);
      n.memory_bytes_free = free_after(n.memory_bytes_allocatable, requests.memory_bytes);
      n.gpus_free = free_after(n.gpus_allocatable, requests.gpus);
      n.pods_free = free_after(n.pods_allocatable, count);
    }
    if (n.schedulable) {
      c.cpu_millis_free = saturating_add(c.cpu_millis_free, n.cpu_millis_free);
      c.memory_bytes_free = saturating_add(c.memory_bytes_free, n.memory_bytes_free);
      c.gpus_free = saturating_add(c.gpus_free, n.gpus_free);
      c.max_gpus_free_on_one_node = std::max(c.max_gpus_free_on_one_node, n.gpus_free);
    }
    c.nodes.push_back(std::move(n));
  }
  return c;
}

std::int64_t fits(const Capacity& c, std::string_view cpu, std::string_view memory,
                  std::int64_t gpus, std::int64_t extra_cpu_millis,
                  std::int64_t extra_memory_bytes) {
  // A request that does not parse or is not positive counts as none.
  const auto need = [](std::optional<std::int64_t> own, std::int64_t extra) {
    const std::int64_t base = own && *own > 0 ? *own : 0;
    return saturating_add(base, std::max<std::int64_t>(extra, 0));
  };
  const std::int64_t cpu_need = need(quantity_milli(cpu), extra_cpu_millis);
  const std::int64_t memory_need = need(quantity_value(memory), extra_memory_bytes);
  std::int64_t total = 0;
  for (const NodeCapacity& n : c.nodes) {
    if (!n.schedulable || (n.gpu_tainted && gpus <= 0)) {
      continue;
    }
    std::int64_t count = n.pods_free;
    if (cpu_need > 0) {
      count = std::min(count, n.cpu_millis_free / cpu_need);
    }
    if (memory_need > 0) {
      count = std::min(count, n.memory_bytes_free / memory_need);
    }
    if (gpus > 0) {
      count = std::min(count, n.gpus_free / gpus);
    }
    total = saturating_add(total, std::max<std::int64_t>(count, 0));
  }
  return total;
}

}  // namespace neuropod::k8s
