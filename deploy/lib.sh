# Shared helpers for the scripts under deploy/ (sourced, not run).
# shellcheck shell=bash

log() { echo "==> $*" >&2; }
warn() { echo "warning: $*" >&2; }
die() {
  echo "error: $*" >&2
  exit 1
}

# env_get FILE KEY [DEFAULT]: the value of KEY in an env file (KEY=VALUE lines, `export `, quotes
# and # comments allowed, as the server and systemd read them), else DEFAULT. The file is parsed,
# never sourced: it holds secrets and is not a shell script.
env_get() {
  local file="$1" key="$2" default="${3-}" line value found=""
  if [[ -r "$file" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      line="${line#"${line%%[![:space:]]*}"}"
      line="${line#export }"
      [[ "$line" == "$key="* ]] || continue
      value="${line#"$key="}"
      value="${value%"${value##*[![:space:]]}"}"
      if [[ ${#value} -ge 2 && ( "$value" == \"*\" || "$value" == \'*\' ) ]]; then
        value="${value:1:${#value}-2}"
      fi
      found="$value"
    done <"$file"
  fi
  if [[ -n "$found" ]]; then echo "$found"; else echo "$default"; fi
}

# host_of URL: the host part of an http(s) URL (no port, no path).
host_of() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  echo "${rest%%:*}"
}

# is_ipv4 TEXT
is_ipv4() {
  local ip="$1" part
  [[ "$ip" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  IFS=. read -r -a parts <<<"$ip"
  for part in "${parts[@]}"; do ((10#$part <= 255)) || return 1; done
}
