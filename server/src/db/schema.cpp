#include "db/schema.hpp"

#include <algorithm>

#include "core/logging.hpp"

namespace neuropod::db {

const std::vector<IndexSpec>& index_specs() {
  using namespace collections;
  static const std::vector<IndexSpec> specs = {
      // Users: sign-in looks up by Google id and by email; admin lists sort by creation.
      {kUser, "email_unique", {{"email", 1}}, true},
      {kUser, "google_id_unique", {{"google_id", 1}}, true},
      {kUser, "role_created", {{"role", 1}, {"created_at", -1}}, false},
      {kUser, "created", {{"created_at", -1}}, false},
      // Sessions: checked on every request by id; listed per user; purged by expiry.
      {kSession, "user_created", {{"user_id", 1}, {"created_at", -1}}, false},
      {kSession, "expires", {{"expires_at", 1}}, false},
      // Audit log: newest first, per user and per action.
      {kLog, "ts", {{"ts", -1}}, false},
      {kLog, "user_ts", {{"user_id", 1}, {"ts", -1}}, false},
      {kLog, "action_ts", {{"action", 1}, {"ts", -1}}, false},
      // Pods: per user, names unique per user (hosts never collide); by status for loops.
      {kPod, "user_name_unique", {{"user_id", 1}, {"name", 1}}, true},
      {kPod, "status", {{"status", 1}}, false},
      // The pod behind a public host (the ingress auth check).
      {kPod, "hosts", {{"hosts", 1}}, false},
      // Templates: addressed by slug.
      {kTemplate, "slug_unique", {{"slug", 1}}, true},
      // Ledger: per user newest first; per pod for cost so far.
      {kTransaccion, "user_ts", {{"user_id", 1}, {"ts", -1}}, false},
      {kTransaccion, "pod_ts", {{"pod_id", 1}, {"ts", -1}}, false},
      // One entry per (user, sequence number): two writers can never both take the next number.
      {kTransaccion, "user_seq_unique", {{"user_id", 1}, {"seq", 1}}, true},
      // Entries recorded but not yet applied to the balance (recovery after a crash).
      {kTransaccion, "applied", {{"applied", 1}}, false},
  };
  return specs;
}

void ensure_schema(Conn& conn) {
  const std::vector<std::string_view> all = {collections::kUser,     collections::kSession,
                                             collections::kLog,      collections::kPod,
                                             collections::kTemplate, collections::kTransaccion};
  auto existing = conn.collection_names();
  for (auto name : all) {
    if (std::find(existing.begin(), existing.end(), name) != existing.end()) {
      continue;
    }
    Doc cmd;
    cmd.append("create", name);
    try {
      conn.command(cmd);
    } catch (const DbError& e) {
      // Another instance may have created it in between.
      if (std::string_view(e.what()).find("already exists") == std::string_view::npos) {
        throw;
      }
    }
  }
  for (auto name : all) {
    // Only missing indexes are sent: FerretDB 1.24 (SQLite) panics on a createIndexes whose
    // indexes all exist already, and it saves a round of work on every start anyway.
    std::vector<std::string> present;
    for (const auto& idx : conn.collection(name).list_indexes()) {
      present.push_back(idx.get_string("name").value_or(""));
    }
    Array indexes;
    for (const auto& spec : index_specs()) {
      if (spec.collection != name ||
          std::find(present.begin(), present.end(), spec.name) != present.end()) {
        continue;
      }
      Doc keys;
      for (const auto& [field, dir] : spec.keys) {
        keys.append(field, std::int32_t{dir});
      }
      Doc index;
      index.append("key", keys).append("name", spec.name);
      if (spec.unique) {
        index.append("unique", true);
      }
      indexes.push(index);
    }
    if (indexes.size() == 0) {
      continue;
    }
    Doc cmd;
    cmd.append("createIndexes", name).append("indexes", indexes);
    conn.command(cmd);
  }
  log::info("db.schema_ready", {{"database", conn.database()}});
}

}  // namespace neuropod::db
