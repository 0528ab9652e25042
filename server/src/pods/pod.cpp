#include "pods/pod.hpp"

namespace neuropod::pods {

using nlohmann::json;

namespace {

json urls_json(const std::vector<PodUrl>& urls) {
  json out = json::array();
  for (const auto& u : urls) {
    out.push_back({{"port", u.port}, {"name", u.name}, {"protocol", u.protocol}, {"url", u.url}});
  }
  return out;
}

json events_json(const std::vector<PodEvent>& events) {
  json out = json::array();
  for (const auto& e : events) {
    out.push_back({{"type", e.type}, {"reason", e.reason}, {"text", e.text}, {"time", e.time}});
  }
  return out;
}

json time_or_null(const std::optional<core::TimePoint>& t) {
  if (!t) {
    return nullptr;
  }
  return core::to_iso8601(*t);
}

json sub_json(const json& all, std::string_view key) {
  const auto it = all.find(key);
  return it == all.end() ? json() : *it;
}

std::string str(const json& j, std::string_view key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<PodUrl> urls_of(const json& j) {
  std::vector<PodUrl> out;
  for (const auto& u : j.value("items", json::array())) {
    out.push_back(PodUrl{u.value("port", std::int64_t{0}), str(u, "name"), str(u, "protocol"),
                         str(u, "url")});
  }
  return out;
}

std::vector<PodEvent> events_of(const json& j) {
  std::vector<PodEvent> out;
  for (const auto& e : j.value("items", json::array())) {
    out.push_back(PodEvent{str(e, "type"), str(e, "reason"), str(e, "text"), str(e, "time")});
  }
  return out;
}

}  // namespace

std::vector<std::string> hosts_of(const Pod& pod) {
  std::vector<std::string> out;
  for (const auto& u : pod.urls) {
    const auto scheme = u.url.find("://");
    if (u.url.empty() || scheme == std::string::npos) {
      continue;
    }
    std::string host = u.url.substr(scheme + 3);
    if (const auto slash = host.find('/'); slash != std::string::npos) {
      host.resize(slash);
    }
    out.push_back(std::move(host));
  }
  return out;
}

namespace {
db::Array hosts_array(const Pod& pod) {
  db::Array a;
  for (const auto& h : hosts_of(pod)) {
    a.push(h);
  }
  return a;
}
}  // namespace

bool is_active(const Pod& pod) {
  return !pod.deleted && (pod.desired == kRunning || pod.status == kStopping);
}

json to_json(const Pod& p) {
  json out = {{"id", p.id.to_string()},
              {"user_id", p.user_id.to_string()},
              {"user_email", p.user_email},
              {"name", p.name},
              {"template_id", nullptr},
              {"template_slug", p.template_slug},
              {"template_name", p.template_name},
              {"image", p.image},
              {"ports", catalog::ports_json(p.ports)},
              {"env", catalog::env_json(p.env)},
              {"command", p.command},
              {"args", p.args},
              {"workspace_path", p.workspace_path},
              {"resources", catalog::resources_json(p.resources)},
              {"tier", p.tier},
              {"price_per_hour_micros", p.price_per_hour.value()},
              {"desired", p.desired},
              {"status", p.status},
              {"ready", p.ready},
              {"reason", p.reason},
              {"message", p.message},
              {"node", p.node},
              {"restarts", p.restarts},
              {"urls", urls_json(p.urls)},
              {"events", events_json(p.events)},
              {"cost_micros", p.cost.value()},
              {"access", p.access},
              {"keep_running", p.keep_running},
              {"last_activity_at", time_or_null(p.last_activity_at)},
              {"created_at", core::to_iso8601(p.created_at)},
              {"updated_at", core::to_iso8601(p.updated_at)},
              {"started_at", time_or_null(p.started_at)},
              {"running_since", time_or_null(p.running_since)},
              {"stopped_at", time_or_null(p.stopped_at)}};
  if (p.template_id) {
    out["template_id"] = p.template_id->to_string();
  }
  return out;
}

db::Doc to_doc(const Pod& p, bool include_id) {
  db::Doc doc;
  if (include_id) {
    doc.append("_id", p.id);
  }
  doc.append("user_id", p.user_id)
      .append("user_email", p.user_email)
      .append("display_name", p.name)
      .append("name", p.name_key)
      .append("template_slug", p.template_slug)
      .append("template_name", p.template_name)
      .append("image", p.image)
      .append("spec", db::Doc::from_json({{"ports", catalog::ports_json(p.ports)},
                                          {"env", catalog::env_json(p.env)},
                                          {"command", p.command},
                                          {"args", p.args},
                                          {"resources", catalog::resources_json(p.resources)}}))
      .append("workspace_path", p.workspace_path)
      .append("tier", p.tier)
      .append("price_per_hour_micros", p.price_per_hour.value())
      .append("desired", p.desired)
      .append("status", p.status)
      .append("ready", p.ready)
      .append("reason", p.reason)
      .append("message", p.message)
      .append("node", p.node)
      .append("restarts", p.restarts)
      .append("urls", db::Doc::from_json({{"items", urls_json(p.urls)}}))
      .append("hosts", hosts_array(p))
      .append("events", db::Doc::from_json({{"items", events_json(p.events)}}))
      .append("generation", p.generation)
      .append("launch_pending", p.launch_pending)
      .append("cost_micros", p.cost.value())
      .append("deleted", p.deleted)
      .append("created_at", p.created_at)
      .append("updated_at", p.updated_at);
  if (p.template_id) {
    doc.append("template_id", *p.template_id);
  } else {
    doc.append_null("template_id");
  }
  for (const auto& [key, t] :
       {std::pair{"started_at", &p.started_at}, std::pair{"running_since", &p.running_since},
        std::pair{"stopped_at", &p.stopped_at}}) {
    if (*t) {
      doc.append(key, **t);
    } else {
      doc.append_null(key);
    }
  }
  return doc;
}

Pod from_doc(const db::Doc& doc) {
  Pod p;
  p.id = doc.get_oid("_id").value_or(db::Oid{});
  p.user_id = doc.get_oid("user_id").value_or(db::Oid{});
  p.user_email = doc.get_string("user_email").value_or("");
  p.name = doc.get_string("display_name").value_or("");
  p.name_key = doc.get_string("name").value_or("");
  p.template_id = doc.get_oid("template_id");
  p.template_slug = doc.get_string("template_slug").value_or("");
  p.template_name = doc.get_string("template_name").value_or("");
  p.image = doc.get_string("image").value_or("");
  const json all = doc.to_json();  // once: spec, urls and events are sub-documents
  const json spec = sub_json(all, "spec");
  if (spec.is_object()) {
    p.ports = catalog::ports_of(spec.value("ports", json::array()));
    p.env = catalog::env_of(spec.value("env", json::array()));
    p.command = spec.value("command", std::vector<std::string>{});
    p.args = spec.value("args", std::vector<std::string>{});
    p.resources = catalog::resources_of(spec.value("resources", json::object()));
  }
  p.workspace_path = doc.get_string("workspace_path").value_or("/workspace");
  p.tier = doc.get_string("tier").value_or("");
  p.price_per_hour = core::Micros(doc.get_int64("price_per_hour_micros").value_or(0));
  p.desired = doc.get_string("desired").value_or(std::string(kStopped));
  p.status = doc.get_string("status").value_or(std::string(kStopped));
  p.ready = doc.get_bool("ready").value_or(false);
  p.reason = doc.get_string("reason").value_or("");
  p.message = doc.get_string("message").value_or("");
  p.node = doc.get_string("node").value_or("");
  p.restarts = doc.get_int64("restarts").value_or(0);
  const json urls = sub_json(all, "urls");
  if (urls.is_object()) {
    p.urls = urls_of(urls);
  }
  const json events = sub_json(all, "events");
  if (events.is_object()) {
    p.events = events_of(events);
  }
  p.generation = doc.get_int64("generation").value_or(1);
  p.launch_pending = doc.get_bool("launch_pending").value_or(false);
  // Written by billing only (metering::Meter), never by to_doc: PodStore::save cannot undo it.
  p.cost = core::Micros(doc.get_int64("billed_micros").value_or(0));
  p.deleted = doc.get_bool("deleted").value_or(false);
  p.access = doc.get_string("access").value_or("owner");
  p.keep_running = doc.get_bool("keep_running").value_or(false);
  p.last_activity_at = doc.get_time("last_activity_at");
  p.created_at = doc.get_time("created_at").value_or(core::TimePoint{});
  p.updated_at = doc.get_time("updated_at").value_or(core::TimePoint{});
  p.started_at = doc.get_time("started_at");
  p.running_since = doc.get_time("running_since");
  p.stopped_at = doc.get_time("stopped_at");
  return p;
}

}  // namespace neuropod::pods
