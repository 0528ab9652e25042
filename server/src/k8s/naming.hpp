#pragma once
// Names of the Kubernetes objects and public host names of Neuropod pods. Pure functions: the same
// input always gives the same name, so the backend can find an object again from its own data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace neuropod::k8s {

// Longest DNS label (RFC 1123): a host label, a Service or Ingress name, a label value.
inline constexpr std::size_t kMaxDnsLabel = 63;
// Characters of user_hash().
inline constexpr std::size_t kUserHashLength = 6;
// Longest safe_name(): what is left of a host label after "-<hash>-<5-digit port>".
inline constexpr std::size_t kMaxSafeNameLength = kMaxDnsLabel - kUserHashLength - 5 - 2;

// Short stable id of a user for labels, host names and the workspace claim: the first 8 bytes of
// sha256(user_id) as a number, modulo 36^6, written in 6 base-36 digits [a-z0-9] (about 31 bits).
// Not unique: with 10,000 users two of them share a hash with a probability of about 2 %. Whatever
// must be unique per user (the workspace claim) carries the full user id as well (see
// workspace_claim()); the caller checks it before handing a claim to a pod.
std::string user_hash(std::string_view user_id);

// A user-chosen pod name as a DNS label part: ASCII letters lower-cased, digits kept, any other
// ASCII character becomes '-', non-ASCII bytes (accents, CJK, emoji) are dropped, runs of '-'
// collapse into one, '-' is trimmed at both ends; at most kMaxSafeNameLength characters (cut, then
// trimmed again); "pod" when nothing is left. Idempotent: safe_name(safe_name(x)) == safe_name(x).
std::string safe_name(std::string_view name);

// "<safe>-<user_hash>-<port>", at most 63 characters, never ending in '-': only the name part is
// shortened, never the hash nor the port. `safe` is passed through safe_name() again (idempotent),
// so any text is accepted. Unique per (user, pod name, port): two pods of one user with the same
// name would share their hosts, so the caller keeps pod names unique per user.
std::string host_label(std::string_view safe, std::string_view user_hash, std::int64_t port);

// host_label(...) + "." + base_domain, e.g. "comfy-k3x9a2-8188.neuropod.online".
std::string pod_host(std::string_view safe, std::string_view user_hash, std::int64_t port,
                     std::string_view base_domain);

// Name of a pod's Kubernetes Pod, Service and Ingress: "np-" + pod_id (24 hex: 27 characters).
std::string resource_name(std::string_view pod_id);

// Name of a user's workspace PersistentVolumeClaim: "workspace-" + user_hash.
std::string workspace_claim_name(std::string_view user_hash);

}  // namespace neuropod::k8s
