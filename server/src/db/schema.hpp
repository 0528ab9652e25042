#pragma once
// Collection names (exactly as the plan names them) and the indexes their queries need.
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace neuropod::db {

namespace collections {
inline constexpr std::string_view kUser = "User";
inline constexpr std::string_view kSession = "Session";
inline constexpr std::string_view kLog = "Log";
inline constexpr std::string_view kPod = "Pod";
inline constexpr std::string_view kTemplate = "Template";
inline constexpr std::string_view kTransaccion = "Transaccion";
}  // namespace collections

struct IndexSpec {
  std::string_view collection;
  std::string_view name;
  std::vector<std::pair<std::string_view, int>> keys;  // field, 1 or -1
  bool unique = false;
};

const std::vector<IndexSpec>& index_specs();

// Creates every collection and index if missing. Idempotent; safe on every start.
void ensure_schema(Conn& conn);

}  // namespace neuropod::db
