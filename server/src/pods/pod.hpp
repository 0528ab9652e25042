#pragma once
// A Neuropod pod as recorded in the `Pod` collection: what to run (copied from the template or the
// custom image at deploy time, so later template edits do not change running pods), its price,
// the desired state the user asked for and the observed state the reconciler keeps true.
//
// Life cycle (status): pending (accepted, waiting for a node) -> creating (image pull, container
// start) -> running (ready: its HTTP ports answer) -> stopping -> stopped; failed from any state
// with a reason. `desired` is what the user asked for (running | stopped); the reconciler moves the
// cluster towards it. Deleted pods keep their record (billing history) with deleted = true.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.hpp"
#include "core/money.hpp"
#include "core/time.hpp"
#include "db/bson.hpp"

namespace neuropod::pods {

inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kCreating = "creating";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kStopping = "stopping";
inline constexpr std::string_view kStopped = "stopped";
inline constexpr std::string_view kFailed = "failed";

// Latest progress events kept on the record.
inline constexpr std::size_t kMaxEvents = 20;

struct PodUrl {
  std::int64_t port = 0;
  std::string name;
  std::string protocol;  // http | tcp
  std::string url;       // https://<host> for http ports; empty for tcp ports (no public host)
};

struct PodEvent {
  std::string type;  // Normal | Warning
  std::string reason;
  std::string text;
  std::string time;  // RFC 3339
};

struct Pod {
  db::Oid id;
  db::Oid user_id;
  std::string user_email;
  std::string name;      // as the user typed it
  std::string name_key;  // safe name: unique per user among pods not deleted
  std::optional<db::Oid> template_id;
  std::string template_slug;  // empty for custom images
  std::string template_name;
  std::string image;
  std::vector<catalog::Port> ports;
  std::vector<catalog::EnvVar> env;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string workspace_path = "/workspace";
  catalog::Resources resources;
  std::string tier;  // custom images: the resource tier chosen
  core::Micros price_per_hour;

  std::string desired = "running";
  std::string status = std::string(kPending);
  bool ready = false;
  std::string reason;
  std::string message;
  std::string node;
  std::int64_t restarts = 0;
  std::vector<PodUrl> urls;
  std::vector<PodEvent> events;
  std::int64_t generation = 1;  // number of starts; Kubernetes objects carry it
  // The cluster did not confirm every step of the last start (slow or went away midway): the
  // reconciler starts it again until it does.
  bool launch_pending = false;
  core::Micros cost;  // charged so far (read from billing's `billed_micros`; admins: at price)
  bool deleted = false;
  // Owned by the access module (access::PodAccess, access::ActivityRecorder): read here, never
  // written by to_doc, so PodStore::save cannot undo them.
  std::string access = "owner";  // who may open the URLs: owner | users | public
  bool keep_running = false;     // exempt from idle culling (when the admin allows it)
  std::optional<core::TimePoint> last_activity_at;  // last authorised request through the ingress

  core::TimePoint created_at;
  core::TimePoint updated_at;
  std::optional<core::TimePoint> started_at;     // last start requested
  std::optional<core::TimePoint> running_since;  // became running (this start)
  std::optional<core::TimePoint> stopped_at;
};

// The public hosts of the pod's HTTP ports ("comfy-k3x9a2-8188.neuropod.online").
std::vector<std::string> hosts_of(const Pod& pod);

// The API shape (api/openapi.yaml#/components/schemas/Pod).
nlohmann::json to_json(const Pod& pod);

db::Doc to_doc(const Pod& pod, bool include_id = true);
Pod from_doc(const db::Doc& doc);

// Whether the pod counts against the user's running-pods limit and keeps Kubernetes objects.
bool is_active(const Pod& pod);

}  // namespace neuropod::pods
