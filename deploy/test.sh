#!/usr/bin/env bash
# Tests of the production set-up (deploy/): scripts, units, the web app's nginx, the tunnel config,
# the env file against the real server's config check, backups, and every Kubernetes manifest
# against a real API server (a throw-away tools/sandbox instance started here, stopped at the end).
# Prints one line per check and a last line `N passed, M failed, K skipped`; exits non-zero on a
# failure. A check whose tool is missing (shellcheck, nginx, systemd-analyze, the built server) is
# skipped and counted as such.
#
# Environment: DEPLOY_TEST_K8S_DIR   reuse a running sandbox (its state folder) instead of starting
#              one; then only server-side dry-runs touch it.
#              DEPLOY_TEST_KEEP=1    keep the temporary folder.
# shellcheck disable=SC2016 # bash -c scripts take their arguments as "$1"
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
kubectl_bin="$root/.tools/bin/kubectl"
server_bin="$root/build/server/neuropod"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/neuropod-deploy-test.XXXXXX")"
chmod 755 "$tmp" # nginx's workers (nobody) read the web root below it
passed=0
failed=0
skipped=0
pids=()
own_sandbox=""

ok() {
  echo "ok     $*"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL   $*"
  failed=$((failed + 1))
}
skip() {
  echo "skip   $*"
  skipped=$((skipped + 1))
}
check() { # description command... : passes when the command succeeds
  local what="$1"
  shift
  if "$@" >"$tmp/last.log" 2>&1; then ok "$what"; else
    fail "$what"
    sed 's/^/         /' "$tmp/last.log" | tail -15
  fi
}
refuses() { # description command... : passes when the command fails
  local what="$1"
  shift
  if "$@" >"$tmp/last.log" 2>&1; then fail "$what (it succeeded)"; else ok "$what"; fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n "$own_sandbox" ]]; then
    K8S_SANDBOX_DIR="$own_sandbox" "$root/tools/sandbox/k8s" down >/dev/null 2>&1 || true
  fi
  if [[ -z "${DEPLOY_TEST_KEEP:-}" ]]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts=(lib.sh install test.sh minikube/setup cloudflared/gen-config mongodb/setup mongodb/backup
  mongodb/restore systemd/neuropod-healthcheck)

# ------------------------------------------------------------------------------------- scripts
echo "--- scripts"
for s in "${scripts[@]}"; do
  check "bash -n $s" bash -n "$here/$s"
  if [[ "$s" != lib.sh ]]; then
    check "$s is executable and starts with set -euo pipefail (or -uo for the test)" \
      bash -c '[[ -x "$1" ]] && grep -Eq "^set -e?uo pipefail" "$1"' _ "$here/$s"
  fi
done
printf 'if then fi\n' >"$tmp/broken.sh"
refuses "bash -n rejects a broken script" bash -n "$tmp/broken.sh"
if command -v shellcheck >/dev/null; then
  for s in "${scripts[@]}"; do
    check "shellcheck $s" shellcheck -x -P SCRIPTDIR "$here/$s"
  done
  printf '#!/bin/bash\nrm -rf $1/*\n' >"$tmp/unquoted.sh"
  refuses "shellcheck rejects an unquoted expansion" shellcheck "$tmp/unquoted.sh"
else
  skip "shellcheck (not installed: apt-get install shellcheck)"
fi

# ------------------------------------------------------------------------------ the env file
echo "--- the env file"
example="$here/systemd/neuropod.env.example"
# Every variable the server reads (core/config.cpp) is documented in the example.
mapfile -t server_vars < <(grep -oE '"(NEUROPOD|GOOGLE|MONGODB|APP|ADMIN|KUBERNETES)_[A-Z0-9_]+"' \
  "$root/server/src/core/config.cpp" | tr -d '"' | grep -v '^GOOGLE_\*' | sort -u)
missing=()
for v in "${server_vars[@]}"; do
  grep -Eq "^#? ?$v=" "$example" || missing+=("$v")
done
if ((${#server_vars[@]} >= 40)) && ((${#missing[@]} == 0)); then
  ok "the example lists all ${#server_vars[@]} variables the server reads"
else
  fail "the example lists the server's variables (found ${#server_vars[@]}; missing: ${missing[*]:-none})"
fi

# ------------------------------------------------------------------------------------ install
echo "--- install (into a folder)"
mkdir -p "$tmp/dist/assets" "$tmp/src"
printf '<!doctype html><title>Neuropod test</title>\n' >"$tmp/dist/index.html"
printf 'const api="https://api.neuropod.online";\n' >"$tmp/dist/assets/index-abc123.js"
printf '#!/bin/sh\necho neuropod\n' >"$tmp/src/neuropod"
chmod +x "$tmp/src/neuropod"
inst=(--root "$tmp/root" --binary "$tmp/src/neuropod" --web-dist "$tmp/dist" --minikube-user alice)
check "install runs" "$here/install" "${inst[@]}"
etc="$tmp/root/etc/neuropod"
key1="$(grep '^NEUROPOD_SESSION_KEYS=' "$etc/neuropod.env" 2>/dev/null)"
check "the env file is created with mode 0600" test "$(stat -c %a "$etc/neuropod.env" 2>/dev/null)" = 600
check "a session key of >= 32 characters is generated" \
  bash -c '[[ "$1" =~ ^NEUROPOD_SESSION_KEYS=k1:[A-Za-z0-9]{32,}$ ]]' _ "$key1"
check "the units, the web app and the healthcheck are in place" test -f "$tmp/root/etc/systemd/system/neuropod-api.service" \
  -a -f "$tmp/root/opt/neuropod/web/index.html" -a -x "$tmp/root/opt/neuropod/libexec/neuropod-healthcheck" \
  -a -x "$tmp/root/opt/neuropod/bin/neuropod" -a -f "$etc/nginx-web.conf"
check "the minikube unit runs as the given user" grep -qx 'User=alice' "$tmp/root/etc/systemd/system/neuropod-minikube.service"
"$here/install" "${inst[@]}" >"$tmp/install2.log" 2>&1
check "a second install changes nothing" bash -c '! grep -q "installed /\|created" "$1"' _ "$tmp/install2.log"
check "a second install keeps the session key" test "$(grep '^NEUROPOD_SESSION_KEYS=' "$etc/neuropod.env")" = "$key1"

if [[ -x "$server_bin" ]]; then
  check "the server accepts the installed env file (production)" \
    env -i "$server_bin" --check-config --env-file="$etc/neuropod.env"
  grep -v '^GOOGLE_CLIENT_ID=\|^NEUROPOD_KUBECONFIG=' "$etc/neuropod.env" >"$tmp/incomplete.env"
  refuses "the server refuses it without GOOGLE_CLIENT_ID and NEUROPOD_KUBECONFIG" \
    env -i "$server_bin" --check-config --env-file="$tmp/incomplete.env"
else
  skip "server config check ($server_bin not built)"
fi

# -------------------------------------------------------------------------------- systemd units
echo "--- systemd units"
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  for u in "$tmp/root/etc/systemd/system/"*; do
    sed "s|/opt/neuropod|$tmp/root/opt/neuropod|g" "$u" >"$tmp/units/$(basename "$u")"
  done
  verify() { # units... : no message at all (verify exits 0 on unknown keys, so read its output)
    local out
    out="$(systemd-analyze verify --man=no "$@" 2>&1)"
    [[ -z "$out" ]] || {
      echo "$out"
      return 1
    }
  }
  n_units="$(find "$tmp/units" -type f | wc -l)"
  # neuropod-minikube.service requires docker.service, which this machine may not have.
  printf '[Service]\nExecStart=/bin/true\n' >"$tmp/units/docker.service"
  check "systemd-analyze verify: $n_units units" verify "$tmp"/units/*
  printf '[Service]\nExecStart=/bin/true\nRestart=sometimes\n' >"$tmp/units/broken.service"
  refuses "systemd-analyze verify flags a broken unit" verify "$tmp/units/broken.service"
  rm -f "$tmp/units/broken.service"
else
  skip "systemd-analyze verify (not installed)"
fi
check "neuropod-api.service: env file, restart, hardening" bash -c '
  u="$1"
  for l in EnvironmentFile=/etc/neuropod/neuropod.env Restart=on-failure RestartPreventExitStatus=2 \
    NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes User=neuropod \
    "ExecStartPre=/opt/neuropod/bin/neuropod --check-config --env-file=/dev/null"; do
    grep -qxF "$l" "$u" || { echo "missing: $l"; exit 1; }
  done' _ "$here/systemd/neuropod-api.service"

# ---------------------------------------------------------------------------------- healthcheck
echo "--- healthcheck"
hc="$here/systemd/neuropod-healthcheck"
cat >"$tmp/systemctl" <<'EOF'
#!/bin/bash
echo "$*" >>"$FAKE_SYSTEMCTL_LOG"
case "$1" in
  is-active) [[ "${FAKE_ACTIVE:-1}" == 1 ]] ;;
  show) echo 1 ;;
  *) exit 0 ;;
esac
EOF
chmod +x "$tmp/systemctl"
dead_port="$(free_port)"
hc_run() { # URL ACTIVE
  env SYSTEMCTL="$tmp/systemctl" FAKE_SYSTEMCTL_LOG="$tmp/systemctl.log" FAKE_ACTIVE="$2" \
    STATE_DIRECTORY="$tmp/hc-state" NEUROPOD_HEALTHCHECK_URL="$1" NEUROPOD_HEALTHCHECK_TIMEOUT_S=2 \
    NEUROPOD_HEALTHCHECK_GRACE_S=0 "$hc" >/dev/null 2>&1
}
: >"$tmp/systemctl.log"
hc_run "http://127.0.0.1:$dead_port/api/status" 1
hc_run "http://127.0.0.1:$dead_port/api/status" 1
check "no restart after 2 failed checks" bash -c '! grep -q restart "$1"' _ "$tmp/systemctl.log"
hc_run "http://127.0.0.1:$dead_port/api/status" 1
check "a restart after the 3rd failed check in a row" test "$(grep -c '^restart neuropod-api.service' "$tmp/systemctl.log")" = 1
live_port="$(free_port)"
mkdir -p "$tmp/live/api" && echo '{}' >"$tmp/live/api/status"
(cd "$tmp/live" && exec python3 -m http.server "$live_port" --bind 127.0.0.1) >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$live_port/" && break; sleep 0.1; done
: >"$tmp/systemctl.log"
hc_run "http://127.0.0.1:$dead_port/api/status" 1
hc_run "http://127.0.0.1:$live_port/api/status" 1
hc_run "http://127.0.0.1:$dead_port/api/status" 1
hc_run "http://127.0.0.1:$dead_port/api/status" 1
check "an answer resets the count (2 failures after it: no restart)" bash -c '! grep -q restart "$1"' _ "$tmp/systemctl.log"
for _ in 1 2 3 4; do hc_run "http://127.0.0.1:$dead_port/api/status" 0; done
check "a stopped API is left alone" bash -c '! grep -q restart "$1"' _ "$tmp/systemctl.log"

# -------------------------------------------------------------------------------- web app nginx
echo "--- web app (nginx)"
if [[ -x /usr/sbin/nginx ]]; then
  port="$(free_port)"
  mkdir -p "$tmp/nginx-run"
  sed -e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@ROOT@|$tmp/dist|" -e "s|@RUNTIME@|$tmp/nginx-run|g" \
    "$here/nginx/neuropod-web.conf" >"$tmp/nginx.conf"
  check "nginx -t accepts the site" /usr/sbin/nginx -t -q -e stderr -c "$tmp/nginx.conf" -g "daemon off;"
  /usr/sbin/nginx -e stderr -c "$tmp/nginx.conf" -g "daemon off;" >"$tmp/nginx.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  hdr() { curl -s -D - -o "$tmp/body" "http://127.0.0.1:$port$1" | tr -d '\r'; }
  check "a route of the app (/client/pods) answers index.html, not cached" bash -c '
    h="$(cat)"; grep -q "^HTTP/1.1 200" <<<"$h" && grep -qi "^Cache-Control: no-cache" <<<"$h" &&
    grep -q "Neuropod test" "$1"' _ "$tmp/body" < <(hdr /client/pods)
  check "hashed assets are cached for a year" bash -c '
    h="$(cat)"; grep -q "^HTTP/1.1 200" <<<"$h" && grep -qi "^Cache-Control: max-age=31536000" <<<"$h" &&
    grep -qi "^Content-Type: application/javascript" <<<"$h"' < <(hdr /assets/index-abc123.js)
  check "a missing asset is a 404, not index.html" bash -c 'grep -q "^HTTP/1.1 404" <<<"$(cat)"' < <(hdr /assets/gone-123.js)
  check "security headers on every answer" bash -c '
    h="$(cat)"; grep -qi "^X-Content-Type-Options: nosniff" <<<"$h" && grep -qi "^X-Frame-Options: DENY" <<<"$h"' < <(hdr /)
  check "dot files are not served" bash -c 'grep -q "^HTTP/1.1 404" <<<"$(cat)"' < <(hdr /.env)
else
  skip "nginx site (nginx not installed)"
fi

# ---------------------------------------------------------------------------------- cloudflared
echo "--- cloudflared config"
uuid=6f0c8a52-1b1e-4d57-9c51-2f1f4f1d9a10
cat >"$tmp/cf.env" <<'EOF'
APP_ORIGIN=https://app.example.org
NEUROPOD_PUBLIC_API_URL=https://api.example.org
NEUROPOD_HOST=0.0.0.0
NEUROPOD_PORT=3000
EOF
gen=("$here/cloudflared/gen-config" --tunnel-id "$uuid" --env-file "$tmp/cf.env"
  --credentials-file "/etc/cloudflared/$uuid.json" --ingress-url https://192.168.49.2:443)
check "gen-config writes a config" "${gen[@]}" --output "$tmp/cf/config.yml"
cat >"$tmp/check_cf.py" <<'EOF'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
uuid = sys.argv[2]
assert cfg["tunnel"] == uuid, cfg["tunnel"]
assert cfg["credentials-file"] == f"/etc/cloudflared/{uuid}.json", cfg["credentials-file"]
rules = cfg["ingress"]
assert len(rules) == 4, rules
hosts = [r.get("hostname") for r in rules]
assert hosts == ["app.example.org", "api.example.org", "*.example.org", None], hosts
assert rules[0]["service"] == "http://127.0.0.1:5173", rules[0]
assert rules[1]["service"] == "http://127.0.0.1:3000", rules[1]
wild = rules[2]
assert wild["service"] == "https://192.168.49.2:443", wild
assert wild["originRequest"]["noTLSVerify"] is True, wild
assert wild["originRequest"]["http2Origin"] is False, wild
assert rules[3] == {"service": "http_status:404"}, rules[3]
print("ok")
EOF
if python3 -c 'import yaml' 2>/dev/null; then
  check "the config: 3 hostnames in order, wildcard last before the 404, TLS to the ingress, credentials" \
    python3 "$tmp/check_cf.py" "$tmp/cf/config.yml" "$uuid"
  sed 's/http_status:404/http_status:200/' "$tmp/cf/config.yml" >"$tmp/cf/bad.yml"
  refuses "the checker refuses a config whose catch-all is not a 404" python3 "$tmp/check_cf.py" "$tmp/cf/bad.yml" "$uuid"
else
  skip "cloudflared config structure (python3-yaml not installed)"
fi
"${gen[@]}" --output "$tmp/cf/config.yml" >/dev/null 2>&1
check "gen-config again: same file, no backup" test ! -e "$tmp/cf/config.yml.bak"
refuses "gen-config refuses a tunnel id that is not a UUID" \
  "$here/cloudflared/gen-config" --tunnel-id neuropod --env-file "$tmp/cf.env" --ingress-url https://1.2.3.4:443 --output -
sed 's|^NEUROPOD_PUBLIC_API_URL=.*|NEUROPOD_PUBLIC_API_URL=https://api.eu.example.org|' "$tmp/cf.env" >"$tmp/cf2.env"
refuses "gen-config refuses an API host two levels below the domain" \
  "$here/cloudflared/gen-config" --tunnel-id "$uuid" --env-file "$tmp/cf2.env" --ingress-url https://1.2.3.4:443 --output -
# NEUROPOD_HOST as a list: the api. rule goes to loopback when it is listed, else to the first.
sed 's|^NEUROPOD_HOST=.*|NEUROPOD_HOST=192.168.49.1,127.0.0.1|' "$tmp/cf.env" >"$tmp/cf3.env"
check "gen-config with NEUROPOD_HOST=192.168.49.1,127.0.0.1 sends api. to 127.0.0.1" bash -c \
  '"$@" | grep -q "service: http://127.0.0.1:3000"' _ "$here/cloudflared/gen-config" \
  --tunnel-id "$uuid" --env-file "$tmp/cf3.env" --ingress-url https://1.2.3.4:443 --output -
sed 's|^NEUROPOD_HOST=.*|NEUROPOD_HOST=192.168.49.1|' "$tmp/cf.env" >"$tmp/cf4.env"
check "gen-config with NEUROPOD_HOST=192.168.49.1 sends api. there" bash -c \
  '"$@" | grep -q "service: http://192.168.49.1:3000"' _ "$here/cloudflared/gen-config" \
  --tunnel-id "$uuid" --env-file "$tmp/cf4.env" --ingress-url https://1.2.3.4:443 --output -
refuses "gen-config refuses a plain-http ingress origin" \
  "$here/cloudflared/gen-config" --tunnel-id "$uuid" --env-file "$tmp/cf.env" --ingress-url http://1.2.3.4:80 --output -
if command -v cloudflared >/dev/null; then
  check "cloudflared tunnel ingress validate" cloudflared tunnel --config "$tmp/cf/config.yml" ingress validate
else
  skip "cloudflared tunnel ingress validate (cloudflared not installed)"
fi

# ------------------------------------------------------------------------------------- backups
echo "--- database backups"
mkdir -p "$tmp/bin" "$tmp/backups"
cat >"$tmp/bin/mongodump" <<'EOF'
#!/bin/bash
echo "$*" >>"$FAKE_MONGO_LOG"
[[ -z "${FAKE_MONGO_FAIL:-}" ]] || exit 1
for a in "$@"; do case "$a" in --archive=*) echo "dump" | gzip >"${a#--archive=}" ;; esac; done
EOF
cat >"$tmp/bin/mongorestore" <<'EOF'
#!/bin/bash
echo "$*" >>"$FAKE_MONGO_LOG"
EOF
chmod +x "$tmp/bin/"*
printf 'uri: "mongodb://u:p@127.0.0.1:27017/?authSource=admin"\n' >"$tmp/backup.yaml"
for d in 1 2 3 4 5; do
  touch -d "$(((d + 1) * 10)) days ago" "$tmp/backups/plataforma-2020010${d}T000000Z.archive.gz"
done
touch -d "1 day ago" "$tmp/backups/plataforma-20991231T000000Z.archive.gz" # newest name, recent
mongo() { env PATH="$tmp/bin:$PATH" FAKE_MONGO_LOG="$tmp/mongo.log" "$@"; }
check "backup writes an archive" mongo "$here/mongodb/backup" --config "$tmp/backup.yaml" \
  --dir "$tmp/backups" --keep 3 --keep-days 14
check "mongodump was asked for a gzip archive of plataforma with the config file" \
  grep -q -- "--config=$tmp/backup.yaml --db=plataforma --archive=.* --gzip" "$tmp/mongo.log"
check "the archive is named by UTC time, mode 0600, a valid gzip" bash -c '
  f="$(find "$1" -name "plataforma-2*Z.archive.gz" -newer "$2" | head -1)"
  [[ -n "$f" && "$(stat -c %a "$f")" == 600 ]] && gzip -t "$f"' _ "$tmp/backups" "$tmp/backup.yaml"
check "retention: the newest 3 kept (one of them 60 days old), the rest, 20-50 days old, removed" \
  test "$(find "$tmp/backups" -name 'plataforma-*.archive.gz' | wc -l)" = 3
refuses "a failed mongodump fails the backup" env FAKE_MONGO_FAIL=1 PATH="$tmp/bin:$PATH" \
  FAKE_MONGO_LOG="$tmp/mongo.log" "$here/mongodb/backup" --config "$tmp/backup.yaml" --dir "$tmp/backups"
check "and leaves no partial file" test -z "$(find "$tmp/backups" -name '.*partial')"
archive="$(find "$tmp/backups" -name 'plataforma-2*Z.archive.gz' | sort | tail -2 | head -1)"
refuses "restore asks before overwriting (no terminal, no --yes)" \
  mongo "$here/mongodb/restore" "$archive" --config "$tmp/backup.yaml" </dev/null
: >"$tmp/mongo.log"
check "restore --to-db renames the namespace" mongo "$here/mongodb/restore" "$archive" \
  --config "$tmp/backup.yaml" --to-db restore_check --yes
check "mongorestore got --nsFrom/--nsTo and no --drop" bash -c '
  grep -q -- "--nsInclude=plataforma\.\* --stopOnError --nsFrom=plataforma\.\* --nsTo=restore_check\.\*$" "$1"' _ "$tmp/mongo.log"
printf 'not gzip' >"$tmp/bad.archive.gz"
refuses "restore refuses a file that is not a gzip archive" \
  mongo "$here/mongodb/restore" "$tmp/bad.archive.gz" --config "$tmp/backup.yaml" --yes

# ------------------------------------------------------------------------------------ Kubernetes
echo "--- Kubernetes manifests"
render="$tmp/rendered"
check "setup --render-only writes the templates without a cluster" \
  "$here/minikube/setup" --render-only "$render" --env-file "$tmp/cf.env" --host-ip 192.168.49.1
check "3 manifests rendered, no placeholder left" bash -c '
  [[ "$(ls "$1"/*.yaml | wc -l)" == 3 ]] && ! grep -q "\${" "$1"/*.yaml' _ "$render"
check "the ingress settings point at the API's Service and sign-in" bash -c '
  grep -q "global-auth-url: \"http://neuropod-api.neuropod.svc.cluster.local:3000/api/pod-access/check\"" "$1" &&
  grep -q "global-auth-signin: \"https://api.example.org/api/pod-access/signin\"" "$1" &&
  grep -q "proxy-real-ip-cidr: \"192.168.49.0/24,173.245.48.0/20," "$1" &&
  grep -q "forwarded-for-header: \"CF-Connecting-IP\"" "$1"' _ "$render/ingress-nginx-controller.yaml"
refuses "setup refuses a loopback host address" \
  "$here/minikube/setup" --render-only "$tmp/r2" --env-file "$tmp/cf.env" --host-ip 127.0.0.1
printf 'NEUROPOD_K8S_NAMESPACE=pods\n' >"$tmp/ns.env"
refuses "setup refuses a namespace its manifests are not written for" \
  "$here/minikube/setup" --render-only "$tmp/r3" --env-file "$tmp/ns.env"

if [[ ! -x "$kubectl_bin" ]]; then
  skip "Kubernetes checks (no .tools/bin/kubectl: tools/sandbox/k8s build)"
else
  sandbox="${DEPLOY_TEST_K8S_DIR:-}"
  if [[ -z "$sandbox" ]]; then
    sandbox="$tmp/k8s"
    own_sandbox="$sandbox"
    env -u K8S_SANDBOX_PORT K8S_SANDBOX_DIR="$sandbox" K8S_SANDBOX_EPHEMERAL=1 \
      "$root/tools/sandbox/k8s" up >"$tmp/k8s-up.log" 2>&1 || {
      tail -20 "$tmp/k8s-up.log"
      fail "start a Kubernetes sandbox"
    }
  fi
  admin="$sandbox/kubeconfig-admin.yaml"
  ka() { "$kubectl_bin" --kubeconfig "$admin" "$@"; }
  if ka get --raw=/readyz >/dev/null 2>&1; then
    # The sandbox has no ingress controller; its namespace is what minikube's addon creates.
    ka get namespace ingress-nginx >/dev/null 2>&1 || ka create namespace ingress-nginx >/dev/null
    dry() { ka apply --dry-run=server --server-side --force-conflicts --field-manager=neuropod-setup -f "$1"; }
    n=0
    for f in "$root"/deploy/rbac/*.yaml "$here"/k8s/*.yaml "$render"/*.yaml; do
      check "API server accepts ${f#"$root"/} (server-side dry-run)" dry "$f"
      n=$((n + 1))
    done
    sed 's|cidr: 0.0.0.0/0|cidr: 0.0.0.0/33|' "$render/network-policy-egress.yaml" >"$tmp/broken-policy.yaml"
    refuses "API server rejects a broken manifest (CIDR /33)" dry "$tmp/broken-policy.yaml"

    if [[ -n "$own_sandbox" ]]; then
      cat >"$tmp/k8s.env" <<EOF
NEUROPOD_HOST=127.0.0.1,10.11.12.13
NEUROPOD_PORT=3000
APP_ORIGIN=https://app.example.org
NEUROPOD_PUBLIC_API_URL=https://api.example.org
NEUROPOD_KUBECONFIG=$tmp/kubeconfig-backend
NEUROPOD_POD_AUTH_URL=http://neuropod-api.neuropod.svc.cluster.local:3000/api/pod-access/check
NEUROPOD_POD_ACCESS_SERVICE=neuropod-api:3000
EOF
      setup_k8s() {
        env KUBECTL="$kubectl_bin --kubeconfig $admin" MINIKUBE=/nonexistent "$here/minikube/setup" \
          --no-start --env-file "$tmp/k8s.env" --host-ip 10.11.12.13
      }
      check "setup applies everything to a real API server and writes the backend's kubeconfig" setup_k8s
      host_list_ok() { ! setup_k8s 2>&1 | grep -q "NEUROPOD_HOST must"; }
      check "  a NEUROPOD_HOST list naming the bridge address satisfies it (run again: converges)" host_list_ok
      kb() { "$kubectl_bin" --kubeconfig "$tmp/kubeconfig-backend" "$@"; }
      check "the kubeconfig has mode 0600" test "$(stat -c %a "$tmp/kubeconfig-backend" 2>/dev/null)" = 600
      check "the backend's identity may create pods in neuropod" kb auth can-i create pods -n neuropod
      refuses "the backend's identity may not read secrets" kb auth can-i get secrets -n neuropod
      refuses "the backend's identity may not touch ingress-nginx" kb auth can-i patch configmaps -n ingress-nginx
      rv1="$(ka -n neuropod get service neuropod-api -o jsonpath='{.metadata.resourceVersion}')"
      sleep 3
      check "neuropod-api's EndpointSlice stays, pointing at the host" test \
        "$(ka -n neuropod get endpointslice neuropod-api-host -o jsonpath='{.endpoints[0].addresses[0]}:{.ports[0].port}')" = 10.11.12.13:3000
      check "neuropod-api has a cluster IP and port 3000" bash -c '[[ "$1" =~ ^[0-9.]+:3000$ ]]' _ \
        "$(ka -n neuropod get service neuropod-api -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')"
      check "ingress-nginx's ConfigMap refuses snippets and trusts CF-Connecting-IP" test \
        "$(ka -n ingress-nginx get configmap ingress-nginx-controller -o jsonpath='{.data.allow-snippet-annotations}/{.data.forwarded-for-header}')" \
        = "false/CF-Connecting-IP"
      check "setup a second time succeeds" setup_k8s
      check "and leaves the objects as they were" test \
        "$(ka -n neuropod get service neuropod-api -o jsonpath='{.metadata.resourceVersion}')" = "$rv1"
      check "the namespace enforces Pod Security baseline" test \
        "$(ka get namespace neuropod -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = baseline
      cat >"$tmp/privileged.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: neuropod}
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      securityContext: {privileged: true}
EOF
      refuses "a privileged pod is refused in neuropod" ka apply --dry-run=server -f "$tmp/privileged.yaml"
      sed -e 's/name: privileged/name: plain/' -e '/securityContext/d' "$tmp/privileged.yaml" >"$tmp/plain.yaml"
      ka apply --dry-run=server -o json -f "$tmp/plain.yaml" >"$tmp/plain.json" 2>"$tmp/plain.err"
      check "a plain pod passes and gets the LimitRange's defaults" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["spec"]["containers"][0]["resources"]
assert c == {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "250m", "memory": "512Mi"}}, c
' "$tmp/plain.json"
      ka -n neuropod create service nodeport np-test --tcp=80:80 --dry-run=client -o yaml >"$tmp/nodeport.yaml"
      refuses "the quota refuses a NodePort Service in neuropod" ka apply --dry-run=server -f "$tmp/nodeport.yaml"
    else
      skip "real apply of setup (reusing $sandbox: dry-runs only)"
    fi
  else
    fail "the Kubernetes sandbox answers"
  fi
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
