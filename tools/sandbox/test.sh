#!/usr/bin/env bash
# Tests of the Kubernetes sandbox, against a throw-away instance started here on its own state
# folder and ports (a sandbox started by `make up` may run beside it), stopped at the end.
# Everything the backend does goes through its own identity (ServiceAccount neuropod-backend), so
# the real API server checks it: validation, admission, RBAC; kube-controller-manager binds the
# workspace volume and garbage-collects what a deleted pod owned; kube-scheduler places pods on
# the simulated nodes or leaves them Unschedulable.
# Prints one line per check and a last line `N passed, M failed`; exits non-zero on a failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sandbox="$here/k8s"

export K8S_SANDBOX_DIR="${K8S_SANDBOX_TEST_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/neuropod-k8s-test.XXXXXX")}"
export K8S_SANDBOX_EPHEMERAL=1 # etcd without fsync: the data is thrown away anyway
unset K8S_SANDBOX_PORT
dir="$K8S_SANDBOX_DIR"
ns=neuropod
passed=0
failed=0

ok() {
  echo "ok     $*"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL   $*"
  failed=$((failed + 1))
}
check() { # description command... : passes when the command succeeds
  local what="$1"
  shift
  if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}
eventually() { # timeout_s command... : the command succeeds within the timeout
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

kb() { "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-backend.yaml" "$@"; } # backend
ka() { "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-admin.yaml" "$@"; }   # admin

# Our processes: every one whose command line names the test's state folder.
sandbox_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ "${p#/proc/}" == "$$" || "${p#/proc/}" == "$BASHPID" ]] && continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$dir/" && echo "${p#/proc/}"
  done
  return 0
}

cleanup() {
  "$sandbox" down >/dev/null 2>&1 || true
  [[ -n "${K8S_SANDBOX_TEST_KEEP:-}" ]] || rm -rf "$dir"
}
trap cleanup EXIT

# fails_with PATTERN WHAT command... : succeeds only when the command fails with an error
# matching PATTERN (grep -E).
fails_with() {
  local pattern="$1" what="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    echo "       unexpectedly allowed: $*" >&2
    return 1
  fi
  grep -q -E "$pattern" <<<"$out" || {
    echo "       failed, but not as $what: $out" >&2
    return 1
  }
}
forbidden() { fails_with '[Ff]orbidden' Forbidden "$@"; }
field() { # jsonpath kind/name : prints one field of an object in the namespace (admin view)
  ka -n "$ns" get "$2" -o "jsonpath=$1" 2>/dev/null
}
field_is() { # expected jsonpath kind/name
  [[ "$(field "$2" "$3")" == "$1" ]]
}
gone() { # kind/name : the object does not exist (any other error does not count)
  local out
  ! out="$(ka -n "$ns" get "$1" 2>&1)" && grep -q NotFound <<<"$out"
}
invalid() { fails_with 'is invalid' invalid "$@"; } # the API server's 422 Invalid
ready_nodes() { ka get nodes --no-headers | grep -c ' Ready '; }
kb_apply() { kb -n "$ns" apply -f - <<<"$1"; }

echo "== starting a throw-away sandbox in $dir"
start=$SECONDS
if ! "$sandbox" up; then
  fail "sandbox starts"
  echo "$passed passed, $failed failed"
  exit 1
fi
ok "sandbox starts ($((SECONDS - start)) s)"

# ---------------------------------------------------------------------------------- the cluster
check "up again says it is already running" \
  bash -c '"$0" up | grep -q "already running"' "$sandbox"
check "env prints the kubeconfigs" \
  bash -c '"$0" env | grep -qx "export KUBECONFIG=$1/kubeconfig-admin.yaml"' "$sandbox" "$dir"
check "status shows every component running" "$sandbox" status >/dev/null
check "two simulated nodes are Ready" test "$(ready_nodes)" = 2
check "the backend reads node capacity: the GPU node has 2 nvidia.com/gpu, the other none" \
  test "$(kb get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.allocatable.nvidia\.com/gpu} {end}')" \
  = "sandbox-cpu-0= sandbox-gpu-0=2 "
check "IngressClass nginx and StorageClass neuropod-workspace exist" \
  ka get ingressclass/nginx storageclass/neuropod-workspace

# ----------------------------------------------------------------------------- what is refused
check "the backend may list pods in its namespace" kb -n "$ns" get pods -o json
check "the backend is Forbidden to list pods in kube-system" forbidden kb -n kube-system get pods
check "the backend is Forbidden to list pods in default" forbidden kb -n default get pods
check "the backend is Forbidden to create a namespace" forbidden kb create namespace np-test-other
check "the backend is Forbidden to read secrets in its namespace" forbidden kb -n "$ns" get secrets
check "the backend is Forbidden to delete nodes" forbidden kb delete node sandbox-cpu-0
check "the API server validates: a pod with an invalid name is refused" \
  invalid kb_apply 'apiVersion: v1
kind: Pod
metadata: {name: Bad_Name}
spec: {containers: [{name: main, image: busybox}]}'
check "the API server validates: an Ingress backend without a port is refused" \
  invalid kb_apply 'apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: session-x}}'


# ----------------------------------------------------------------------------- leader election
# The backend's replicas elect a leader with a coordination.k8s.io/v1 Lease in their namespace:
# get, create, update (renew, take over) and patch; nothing more.
lease_holder() { field '{.spec.holderIdentity} {.spec.leaseTransitions}' lease/neuropod-backend-leader; }
check "the backend creates its leader-election Lease" kb_apply 'apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: neuropod-backend-leader}
spec: {holderIdentity: replica-a, leaseDurationSeconds: 15}'
check "the backend gets and updates it (a takeover: holderIdentity replica-b)" \
  bash -c 'set -o pipefail; "$@" get lease neuropod-backend-leader -o yaml |
    sed "s/holderIdentity: replica-a/holderIdentity: replica-b/" | "$@" replace -f -' -- \
  "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-backend.yaml" -n "$ns"
check "the backend patches it" \
  kb -n "$ns" patch lease neuropod-backend-leader --type=merge -p '{"spec":{"leaseTransitions":1}}'
check "the Lease holds what the backend wrote" test "$(lease_holder)" = "replica-b 1"
check "the backend is Forbidden to delete the Lease" \
  forbidden kb -n "$ns" delete lease neuropod-backend-leader
check "the backend is Forbidden to create a Lease in kube-system" forbidden kb -n kube-system create -f - <<'EOF'
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: neuropod-backend-leader}
EOF

# --------------------------------------------------------------------- a session with workspace
kb -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: workspace-alice
spec:
  storageClassName: neuropod-workspace
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
EOF
check "the backend creates a workspace PVC" kb -n "$ns" get pvc/workspace-alice
check "the workspace PVC becomes Bound" eventually 60 field_is Bound '{.status.phase}' pvc/workspace-alice
pv="$(field '{.spec.volumeName}' pvc/workspace-alice)"
check "its volume is a hostPath folder in the state folder" \
  test -n "$pv" -a -d "$dir/volumes/$pv"
check "the backend is Forbidden to delete a PVC" \
  forbidden kb -n "$ns" delete pvc workspace-alice --wait=false

kb -n "$ns" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: session-alice
  labels: {app.kubernetes.io/name: neuropod-session, neuropod.io/session: alice}
spec:
  containers:
  - name: main
    image: ghcr.io/neuropod/session:latest
    resources:
      requests: {cpu: "1", memory: 1Gi}
      limits: {cpu: "2", memory: 2Gi}
    volumeMounts: [{name: workspace, mountPath: /workspace}]
  volumes:
  - name: workspace
    persistentVolumeClaim: {claimName: workspace-alice}
EOF
check "the session pod reaches Running" eventually 60 field_is Running '{.status.phase}' pod/session-alice
check "the session pod is Ready on a simulated node" \
  bash -c '[[ "$1" == True && "$2" == sandbox-* ]]' -- \
  "$(field '{.status.conditions[?(@.type=="Ready")].status}' pod/session-alice)" \
  "$(field '{.spec.nodeName}' pod/session-alice)"
check "the backend reads the session's log" \
  bash -c '"$@" 2>&1 | grep -q "simulated (kwok) node"' -- \
  "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-backend.yaml" -n "$ns" logs session-alice

uid="$(field '{.metadata.uid}' pod/session-alice)"
owner="ownerReferences: [{apiVersion: v1, kind: Pod, name: session-alice, uid: \"$uid\"}]"
kb -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata:
  name: session-alice
  $owner
spec:
  selector: {neuropod.io/session: alice}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: session-alice
  $owner
spec:
  ingressClassName: nginx
  rules:
  - host: alice.sessions.neuropod.localhost
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: session-alice, port: {name: http}}
EOF
check "the backend creates a Service owned by the pod" \
  field_is "Pod $uid" '{.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].uid}' \
  service/session-alice
check "the Ingress is of class nginx and owned by the pod" \
  field_is "nginx Pod $uid" '{.spec.ingressClassName} {.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].uid}' \
  ingress/session-alice

kb -n "$ns" delete pod session-alice --wait=false >/dev/null
check "the deleted session pod goes away" eventually 60 gone pod/session-alice
check "garbage collection deletes the pod's Service" eventually 60 gone service/session-alice
check "garbage collection deletes the pod's Ingress" eventually 60 gone ingress/session-alice
check "the workspace PVC (not owned by the pod) stays Bound" \
  field_is Bound '{.status.phase}' pvc/workspace-alice

ka -n "$ns" delete pvc workspace-alice --wait=false >/dev/null
volume_gone() {
  local out
  ! out="$(ka get "pv/$pv" 2>&1)" && grep -q NotFound <<<"$out" && [[ -n "$pv" && ! -e "$dir/volumes/$pv" ]]
}
check "a deleted workspace PVC's volume and folder are removed" eventually 60 volume_gone

# --------------------------------------------------------------------------------------- GPUs
gpu_pod() { # name gpus
  kb -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
  - name: main
    image: ghcr.io/neuropod/session-cuda:latest
    resources:
      limits: {nvidia.com/gpu: "$2"}
EOF
}
gpu_pod session-gpu3 3
check "a pod asking for 3 GPUs stays Pending: PodScheduled False, reason Unschedulable" \
  eventually 60 field_is "Pending False Unschedulable" \
  '{.status.phase} {.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason}' \
  pod/session-gpu3
check "the backend sees why in a FailedScheduling event" \
  eventually 30 bash -c '"$@" | grep -q "Insufficient nvidia.com/gpu"' -- \
  "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-backend.yaml" -n "$ns" get events \
  --field-selector involvedObject.name=session-gpu3,reason=FailedScheduling -o 'jsonpath={.items[*].message}'
gpu_pod session-gpu2 2
check "a pod asking for 2 GPUs runs on the GPU node" \
  eventually 60 field_is "Running sandbox-gpu-0" '{.status.phase} {.spec.nodeName}' pod/session-gpu2
kb -n "$ns" delete pod session-gpu2 session-gpu3 --wait=false >/dev/null
gpu_pods_gone() { gone pod/session-gpu2 && gone pod/session-gpu3; }
check "the deleted GPU pods go away" eventually 60 gpu_pods_gone
gpu_pod session-gpu1 1
check "then a 1-GPU pod runs on the GPU node" \
  eventually 60 field_is "Running sandbox-gpu-0" '{.status.phase} {.spec.nodeName}' pod/session-gpu1

# ---------------------------------------------------------------- failures (magic images)
# kwok-stages.yaml: a container with one of the images registry.invalid/neuropod/{does-not-exist,
# slow,crash,oom}:1 gets the status a real kubelet reports for that failure.
magic_pod() { # name image [restartPolicy]
  kb -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {neuropod.io/test: magic}
spec:
  restartPolicy: ${3:-Always}
  containers:
  - name: main
    image: registry.invalid/neuropod/$2:1
EOF
}
magic_pod fail-pull does-not-exist
magic_pod fail-slow slow
magic_pod fail-crash crash
magic_pod fail-oom oom
magic_pod fail-crash-never crash Never
cs='{.status.containerStatuses[0]'
ready='{.status.conditions[?(@.type=="Ready")].status}'
check "image does-not-exist: Pending, waiting ErrImagePull, Ready/ContainersReady False, PodScheduled True" \
  eventually 60 field_is "Pending ErrImagePull False False True" \
  "{.status.phase} $cs.state.waiting.reason} $ready {.status.conditions[?(@.type==\"ContainersReady\")].status} {.status.conditions[?(@.type==\"PodScheduled\")].status}" \
  pod/fail-pull
check "  with the container runtime's message" field_is \
  'rpc error: code = NotFound desc = failed to pull and unpack image "registry.invalid/neuropod/does-not-exist:1": not found' \
  "$cs.state.waiting.message}" pod/fail-pull
check "  and the backend sees a Warning event Failed: Failed to pull image" \
  eventually 30 bash -c '"$@" | grep -qF "Warning Failed Failed to pull image \"registry.invalid/neuropod/does-not-exist:1\""' -- \
  "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig-backend.yaml" -n "$ns" get events \
  --field-selector involvedObject.name=fail-pull -o 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\n"}{end}'
check "image crash: Running, waiting CrashLoopBackOff, 3 restarts, last terminated 1 Error, not Ready" \
  eventually 60 field_is "Running CrashLoopBackOff 3 1 Error False" \
  "{.status.phase} $cs.state.waiting.reason} $cs.restartCount} $cs.lastState.terminated.exitCode} $cs.lastState.terminated.reason} $ready" \
  pod/fail-crash
check "image oom: Running, waiting CrashLoopBackOff, 3 restarts, last terminated 137 OOMKilled, not Ready" \
  eventually 60 field_is "Running CrashLoopBackOff 3 137 OOMKilled False" \
  "{.status.phase} $cs.state.waiting.reason} $cs.restartCount} $cs.lastState.terminated.exitCode} $cs.lastState.terminated.reason} $ready" \
  pod/fail-oom
check "image crash with restartPolicy Never: Failed, terminated 1 Error, no restart" \
  eventually 60 field_is "Failed 1 Error 0 False" \
  "{.status.phase} $cs.state.terminated.exitCode} $cs.state.terminated.reason} $cs.restartCount} $ready" \
  pod/fail-crash-never
check "image slow: Pending, waiting ContainerCreating, not Ready" \
  eventually 60 field_is "Pending ContainerCreating False" "{.status.phase} $cs.state.waiting.reason} $ready" \
  pod/fail-slow
magic_versions() {
  ka -n "$ns" get pods -l neuropod.io/test=magic -o 'jsonpath={range .items[*]}{.metadata.resourceVersion} {end}'
}
versions="$(magic_versions)"
sleep 3
check "each failure is written once: 3 s later no pod changed (slow still ContainerCreating)" \
  bash -c '[[ -n "$1" && "$1" == "$2" ]]' -- "$versions" "$(magic_versions)"
kb -n "$ns" delete pods -l neuropod.io/test=magic --wait=false >/dev/null
magic_gone() { local out; out="$(ka -n "$ns" get pods -l neuropod.io/test=magic -o name)" && [[ -z "$out" ]]; }
check "the failed pods, once deleted, go away" eventually 60 magic_gone

# ------------------------------------------------------------------------------ outage drill
api_down() { ! kb get --raw /readyz --request-timeout=3s; }
others_up() {
  local out
  out="$("$sandbox" status)"
  grep -q '^etcd .*running' <<<"$out" && grep -q '^kwok .*running' <<<"$out" &&
    grep -q '^kube-apiserver .*stopped' <<<"$out"
}
"$sandbox" stop-apiserver >/dev/null
check "stop-apiserver: the API server refuses connections" api_down
check "  while etcd and the simulated nodes keep running" others_up
check "start-apiserver: ready again on the same port" "$sandbox" start-apiserver
check "  and the backend lists its pods through it again" kb -n "$ns" get pods

# -------------------------------------------------------------------------------------- stop
"$sandbox" down >/dev/null
check "down leaves no process of the sandbox" bash -c '[[ -z "$1" ]]' -- "$(sandbox_pids)"
check "down when stopped says so" bash -c '"$0" down | grep -q "not running"' "$sandbox"

echo "$passed passed, $failed failed"
((failed == 0))
