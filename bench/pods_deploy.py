#!/usr/bin/env python3
"""Pods deployed concurrently: Neuropod end to end versus Kubernetes alone, in one run.

Started by bench/pods_deploy (which starts FerretDB, a throw-away Kubernetes sandbox and the
server, and stops them afterwards); see bench/README.md. Steps:

  0. as admin: a tiny tier and a tiny template (10m CPU, 16Mi, free), room for PODS_PER_USER
     pods per user; USERS users sign in; a warm-up pod on each path (not measured).
  1. Neuropod: USERS x PODS_PER_USER POST /api/pods fired at once (one connection each), from
     the template (default) or as a custom image with the tier (--deploy).
     t0 before the POST, t_api at the 201, t_running when a find on the database's `Pod`
     collection (every POLL_MS) first returns the record with status "running" and ready true.
     A watch on the same Kubernetes Pods times when each object appeared and turned Ready, which
     splits each deploy into Neuropod-before-Kubernetes, Kubernetes, Neuropod-after-Kubernetes.
  2. Delete them (DELETE /api/pods/{id}); wait until their Kubernetes Pods are gone.
  3. Kubernetes alone: as many bare Pods with the spec the server made for one of them, created
     at once with the admin kubeconfig; t0 before the create, t_ready when a watch sees Ready.
  4. Delete them; print the figures.

Prints figures; asserts nothing about time. Exits non-zero only when the run itself fails
(an error answer, a pod that never runs), with the evidence.
"""
import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

from api_client import ApiClient, ApiError  # noqa: E402
from kube_rest import KubeClient, KubeConfig, KubeError, is_ready, pods_path, request_latencies  # noqa: E402
from mongo_wire import Connection as MongoConnection  # noqa: E402
from mongo_wire import ObjectId  # noqa: E402
from stats import summary, table  # noqa: E402

ADMIN_EMAIL = "lolerodiez@gmail.com"
TIER = {"id": "bench-tiny", "name": "Bench tiny", "cpu": "10m", "memory": "16Mi", "price_per_hour_micros": 0}
# Tiers have no disk: a custom-image pod requests the server's default ephemeral storage (10Gi),
# and the sandbox's two nodes have 100Gi each, room for 20 such pods. A template can ask for less.
TINY_DISK = "16Mi"
TEMPLATE_SLUG = "bench-tiny"
PORT = {"port": 80, "name": "http", "protocol": "http"}
MANAGED = "app.kubernetes.io/managed-by"
INSTANCE = "neuropod.online/instance"
POD_ID = "neuropod.online/pod-id"
BENCH_LABEL = "neuropod.online/bench"


def now():
    return time.perf_counter()


def ms(seconds):
    return seconds * 1000.0


class Failure(Exception):
    """The run could not measure: the message is the evidence."""


# ------------------------------------------------------------------------------------ observers


class DbPoller(threading.Thread):
    """Finds the pods that are running and ready, every `interval` s; first time seen per id."""

    def __init__(self, host, port, db, interval):
        super().__init__(daemon=True)
        self.mongo = MongoConnection(host, port)
        self.db = db
        self.interval = interval
        self.seen = {}  # pod id -> perf_counter when first returned
        self.query_s = []  # how long each find took
        self.cycle_s = []  # between two answers: the resolution of "first seen"
        self.last_back = None
        self.stop = threading.Event()
        self.error = None

    def poll_once(self):
        t_sent = now()
        docs = self.mongo.find(self.db, "Pod", {"status": "running", "ready": True}, {"_id": 1})
        t_back = now()
        self.query_s.append(t_back - t_sent)
        if self.last_back is not None:
            self.cycle_s.append(t_back - self.last_back)
        self.last_back = t_back
        for d in docs:
            self.seen.setdefault(str(d["_id"]), t_back)

    def run(self):
        # A find scans the whole collection (FerretDB pushes down only _id): on a busy machine one
        # takes longer than the interval, so wait at least as long as the last one took, to keep
        # the database busy with us at most half of the time.
        try:
            while not self.stop.is_set():
                started = now()
                self.poll_once()
                took = now() - started
                self.stop.wait(max(self.interval - took, took))
        except Exception as e:  # reported by the main thread
            self.error = e

    def record(self, pod_id):
        docs = self.mongo.find(self.db, "Pod", {"_id": ObjectId(pod_id)})
        return docs[0] if docs else None


class PodWatcher(threading.Thread):
    """Watches Pods matching a label selector: when each first appeared and first was Ready.
    A watch the API server ends early is resumed from the last resourceVersion seen."""

    def __init__(self, kube_cfg, namespace, selector, key):
        super().__init__(daemon=True)
        self.client = KubeClient(kube_cfg, timeout=None)  # a quiet watch is not an error
        lister = KubeClient(kube_cfg)
        self.namespace = namespace
        self.selector = selector
        self.key = key  # object -> the id we time it by
        self.appeared = {}
        self.ready = {}
        self.restarts = 0
        self.closing = threading.Event()
        listed = lister.request("GET", pods_path(namespace, labelSelector=selector))
        lister.close()
        self.rv = listed["metadata"]["resourceVersion"]
        self.stream = self._open()

    def _open(self):
        return self.client.open_watch(
            pods_path(self.namespace, watch="1", labelSelector=self.selector, allowWatchBookmarks="true",
                      timeoutSeconds="3600", **({"resourceVersion": self.rv} if self.rv else {}))
        )

    def run(self):
        while True:
            for kind, obj in self.stream.events():
                t = now()
                if kind == "ERROR":  # e.g. 410 Gone: start again from now (existing Pods come as ADDED)
                    self.rv = ""
                    break
                self.rv = obj.get("metadata", {}).get("resourceVersion", self.rv)
                if kind not in ("ADDED", "MODIFIED"):
                    continue
                k = self.key(obj)
                self.appeared.setdefault(k, t)
                if k not in self.ready and is_ready(obj):
                    self.ready[k] = t
            self.stream.close()
            if self.closing.is_set():
                return
            self.restarts += 1
            try:
                self.stream = self._open()
            except (KubeError, OSError):
                time.sleep(0.2)

    def close(self):
        self.closing.set()
        self.stream.close()
        self.join(5)


# ---------------------------------------------------------------------------------------- steps


def configure(admin, args):
    """The tiny tier, room for pods_per_user pods per user, and the tiny template."""
    _, settings = admin.call("GET", "/api/admin/settings")
    settings["tiers"] = [t for t in settings["tiers"] if t["id"] != TIER["id"]] + [TIER]
    settings["max_running_pods_per_user"] = max(settings["max_running_pods_per_user"], args.pods_per_user)
    admin.call("PUT", "/api/admin/settings", settings)
    _, pricing = admin.call("GET", "/api/pricing")
    if not any(t["id"] == TIER["id"] for t in pricing["tiers"]):
        raise Failure(f"the tier {TIER['id']} is not in GET /api/pricing after PUT: {pricing}")
    template = {
        "slug": TEMPLATE_SLUG, "name": "Bench tiny", "image": args.image, "ports": [PORT],
        "resources": {"cpu": TIER["cpu"], "memory": TIER["memory"], "ephemeral_storage": TINY_DISK},
        "price_per_hour_micros": 0,
    }
    admin.call("POST", "/api/admin/templates", template, ok=(201, 409))


def deploy_body(args, name):
    if args.deploy == "custom":
        return {"name": name, "image": args.image, "tier": TIER["id"], "ports": [PORT]}
    return {"name": name, "template_slug": TEMPLATE_SLUG}


def wait_until(what, predicate, timeout, step=0.05):
    deadline = now() + timeout
    while now() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def managed_selector(instance):
    return f"{MANAGED}=neuropod,{INSTANCE}={instance}"


def wait_no_pods(kube, namespace, selector, timeout):
    def gone():
        return not kube.request("GET", pods_path(namespace, labelSelector=selector))["items"]

    if not wait_until("pods gone", gone, timeout, 0.2):
        raise Failure(f"Kubernetes pods with {selector} still exist {timeout} s after deleting them")


def bare_manifest(pod, name):
    """The server's Pod, as a bare Pod: metadata reduced to name and labels (not ours: the server
    would delete a Pod carrying its labels as an orphan), no fields the scheduler or admission set."""
    labels = {k: v for k, v in (pod["metadata"].get("labels") or {}).items() if k not in (MANAGED, INSTANCE, POD_ID)}
    labels[BENCH_LABEL] = "k8s-alone"
    spec = dict(pod["spec"])
    for field in ("nodeName", "priority", "preemptionPolicy"):
        spec.pop(field, None)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def fire_at_once(jobs, prepare, run):
    """Runs run(job, state) for every job on its own thread, all released together after
    prepare(job) (connections opened) returned on every thread. Returns the results in order."""
    results = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))
    errors = []

    def worker(i):
        try:
            state = prepare(jobs[i])
            barrier.wait()
        except Exception as e:  # noqa: BLE001 - one failed connection stops the whole burst
            errors.append(e)
            barrier.abort()
            return
        results[i] = run(jobs[i], state)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if errors:
        raise Failure(f"could not open the connections for the burst: {real[0] if real else errors[0]!r}")
    return results


# ------------------------------------------------------------------------------------ measuring


def neuropod_phase(args, users, kube_cfg, poller, results):
    """Fills `results` (one dict per POST: t0, t_api, status, id or error; then t_running and the
    watch's t_k8s_created/t_k8s_ready when seen). Returns a list of failures (evidence)."""
    watcher = PodWatcher(kube_cfg, args.namespace, managed_selector(args.instance), lambda o: o["metadata"]["labels"].get(POD_ID, ""))
    watcher.start()
    jobs = [(u, i) for u in range(len(users)) for i in range(args.pods_per_user)]

    def prepare(job):
        c = ApiClient(args.api, args.origin)
        c.cookie = users[job[0]].cookie
        c.connect()
        return c

    def run(job, c):
        u, i = job
        t0 = now()
        try:
            status, pod = c.call("POST", "/api/pods", deploy_body(args, f"bench-{u:02d}-{i}"), ok=(201,))
            return {"t0": t0, "t_api": now(), "status": status, "id": pod["id"], "user": u}
        except (ApiError, OSError) as e:
            return {"t0": t0, "t_api": now(), "status": getattr(e, "status", None), "id": None, "user": u, "error": str(e)}
        finally:
            c.close()

    results += fire_at_once(jobs, prepare, run)
    failures = []
    refused = [r for r in results if r["id"] is None]
    if refused:
        by_status = {}
        for r in refused:
            by_status[r["status"]] = by_status.get(r["status"], 0) + 1
        shown = "\n    ".join(f"after {ms(r['t_api'] - r['t0']):.0f} ms: {r['error']}" for r in refused[:3])
        failures.append(f"{len(refused)} of {len(results)} POST /api/pods failed (by status: {by_status}), e.g.:\n    {shown}")
    ids = [r["id"] for r in results if r["id"] is not None]
    wait_until("running", lambda: all(i in poller.seen for i in ids), args.timeout, 0.05)
    if poller.error:
        failures.append(f"the database poll failed: {poller.error}")
    # Let the watch catch up with the last Ready events before closing it.
    wait_until("watch", lambda: all(i in watcher.ready for i in ids), 5)
    watcher.close()
    late = [i for i in ids if i not in poller.seen]
    if late:
        lines = []
        for pod_id in late[:5]:
            rec = poller.record(pod_id) or {}
            lines.append(f"{pod_id}: status={rec.get('status')} ready={rec.get('ready')} reason={rec.get('reason')!r} "
                         f"message={rec.get('message')!r} (its Kubernetes Pod: {'seen' if pod_id in watcher.appeared else 'never seen'}, "
                         f"Ready {'seen' if pod_id in watcher.ready else 'not seen'})")
        failures.append(f"{len(late)} of {len(ids)} accepted pods not running+ready in the database {args.timeout:.0f} s after the burst, e.g.:\n    "
                        + "\n    ".join(lines))
    for r in results:
        r["t_running"] = poller.seen.get(r["id"])
        r["t_k8s_created"] = watcher.appeared.get(r["id"])
        r["t_k8s_ready"] = watcher.ready.get(r["id"])
    return failures


def kubernetes_phase(args, kube_cfg, manifest_of, count, results):
    """Fills `results` (name, t0, t_created, t_ready or error). Returns a list of failures."""
    selector = f"{BENCH_LABEL}=k8s-alone"
    watcher = PodWatcher(kube_cfg, args.namespace, selector, lambda o: o["metadata"]["name"])
    watcher.start()
    names = [f"bench-k8s-{i:03d}" for i in range(count)]

    def prepare(name):
        c = KubeClient(kube_cfg)
        c.connect()
        return c

    def run(name, c):
        t0 = now()
        try:
            c.request("POST", pods_path(args.namespace), manifest_of(name), ok=(201,))
            return {"name": name, "t0": t0, "t_created": now()}
        except (KubeError, OSError) as e:
            return {"name": name, "t0": t0, "t_created": now(), "error": str(e)}
        finally:
            c.close()

    results += fire_at_once(names, prepare, run)
    failures = []
    refused = [r for r in results if "error" in r]
    if refused:
        failures.append(f"{len(refused)} of {count} bare Pod creates failed, e.g.: {refused[0]['error']}")
    created = [r["name"] for r in results if "error" not in r]
    wait_until("ready", lambda: all(n in watcher.ready for n in created), args.timeout)
    watcher.close()
    late = [n for n in created if n not in watcher.ready]
    if late:
        failures.append(f"{len(late)} of {len(created)} bare Pods not Ready after {args.timeout:.0f} s, e.g. {late[:5]}")
    for r in results:
        r["t_ready"] = watcher.ready.get(r["name"])
    return failures


def warm_up(args, api_user, kube, poller):
    """One pod through Neuropod and one bare Pod, not measured: first-request costs (connection
    pools, caches, the image's first use) out of the way, and a failure shows early."""
    _, pod = api_user.call("POST", "/api/pods", deploy_body(args, "bench-warmup"), ok=(201,))
    if not wait_until("warm-up running", lambda: pod["id"] in poller.seen, 60):
        rec = poller.record(pod["id"]) or {}
        raise Failure(f"the warm-up pod {pod['id']} is not running+ready after 60 s: status={rec.get('status')} "
                      f"ready={rec.get('ready')} reason={rec.get('reason')!r} message={rec.get('message')!r}")
    k8s_pod = kube.request("GET", pods_path(args.namespace, "np-" + pod["id"]))
    kube.request("POST", pods_path(args.namespace), bare_manifest(k8s_pod, "bench-k8s-warmup"), ok=(201,))
    if not wait_until("warm-up ready", lambda: is_ready(kube.request("GET", pods_path(args.namespace, "bench-k8s-warmup"))), 60, 0.1):
        raise Failure("the warm-up bare Pod is not Ready after 60 s")
    api_user.call("DELETE", f"/api/pods/{pod['id']}", ok=(204,))
    kube.request("DELETE", pods_path(args.namespace, "bench-k8s-warmup"))
    wait_no_pods(kube, args.namespace, managed_selector(args.instance), 60)
    wait_no_pods(kube, args.namespace, f"{BENCH_LABEL}=k8s-alone", 60)


# ------------------------------------------------------------------------------------ reporting


class ApiServerLoad:
    """What the API server served between start() and stop(), by its own counters."""

    def __init__(self, kube):
        self.kube = kube
        self.before = {}
        self.diff = {}
        self.error = None

    def start(self):
        try:
            self.before = request_latencies(self.kube)
        except (KubeError, OSError) as e:  # figures beside the point: note it, go on
            self.error = str(e)

    def stop(self):
        try:
            after = request_latencies(self.kube)
        except (KubeError, OSError) as e:
            self.error = str(e)
            return
        self.diff = {}
        for key, (count, total) in after.items():
            c0, t0 = self.before.get(key, (0, 0.0))
            if count > c0:
                self.diff[key] = (count - c0, total - t0)

    def line(self, top=6):
        if self.error:
            return f"unknown ({self.error})"
        rows = sorted(self.diff.items(), key=lambda kv: -kv[1][1])[:top]
        return ", ".join(f"{verb} {res} {count} x {1000 * total / count:.0f} ms" for (verb, res), (count, total) in rows)



def report(args, np_results, k8s_results, poller, load_before, failures, np_load, k8s_load):
    ok_np = [r for r in np_results if r.get("id")]
    ran = [r for r in ok_np if r.get("t_running") is not None]
    ready = [r for r in k8s_results if r.get("t_ready") is not None]
    api = [ms(r["t_api"] - r["t0"]) for r in ok_np]
    running = [ms(r["t_running"] - r["t0"]) for r in ran]
    alone = [ms(r["t_ready"] - r["t0"]) for r in ready]
    alone_create = [ms(r["t_created"] - r["t0"]) for r in k8s_results if "error" not in r]
    split = [r for r in ran if r["t_k8s_created"] is not None and r["t_k8s_ready"] is not None]
    before_k8s = [ms(r["t_k8s_created"] - r["t0"]) for r in split]
    in_k8s = [ms(r["t_k8s_ready"] - r["t_k8s_created"]) for r in split]
    after_k8s = [ms(r["t_running"] - r["t_k8s_ready"]) for r in split]
    n = len(np_results)
    q = summary([ms(s) for s in poller.query_s])
    cycle = summary([ms(s) for s in poller.cycle_s])

    out = []
    if args.deploy == "custom":
        what = f"custom image {args.image}, tier {TIER['id']} ({TIER['cpu']} CPU, {TIER['memory']})"
    else:
        what = f"template {TEMPLATE_SLUG} ({args.image}, {TIER['cpu']} CPU, {TIER['memory']}, {TINY_DISK} disk)"
    out.append(f"pods_deploy: {n} pods = {args.users} users x {args.pods_per_user}, fired at once; {what}; "
               "Kubernetes sandbox (kwok nodes)")
    out.append(f"machine: {os.cpu_count()} CPUs; load average before {load_before}, after {load_avg()}")
    if q and cycle:
        out.append(f"running = first answer of a find on the Pod collection with status running, ready true; one every "
                   f"{cycle['p50']:.0f} ms p50 ({cycle['p90']:.0f} p90; asked {args.poll_ms}, each took {q['p50']:.0f} ms p50)")
    out.append("")
    out += table([
        ("Neuropod: API call (POST /api/pods -> 201)", api),
        ("Neuropod: deploy -> running+ready in the DB", running),
        ("Kubernetes alone: create -> Ready (watch)", alone),
        ("  of which the create call", alone_create),
    ])
    out.append("")
    out.append("Neuropod's deploy -> running, split by a watch on the same Pods (per pod):")
    out += table([
        ("  POST -> its Pod object appears (Neuropod)", before_k8s),
        ("  Pod object -> Ready (Kubernetes)", in_k8s),
        ("  Ready -> running+ready in the DB (Neuropod)", after_k8s),
    ])
    if split:
        total = sum(before_k8s) + sum(in_k8s) + sum(after_k8s)
        out.append(f"  share of the summed time: Neuropod before Kubernetes {sum(before_k8s) / total:.0%}, "
                   f"Kubernetes {sum(in_k8s) / total:.0%}, Neuropod after Kubernetes {sum(after_k8s) / total:.0%} "
                   f"({len(split)} of {n} pods seen by the watch)")
    out.append("")
    out.append("API server, as it counts (requests x mean latency, the 6 largest totals; watches left out):")
    out.append(f"  during Neuropod's burst: {np_load.line()}")
    out.append(f"  during Kubernetes alone: {k8s_load.line()}")
    out.append("")
    if ran:
        span = max(r["t_running"] for r in ran) - min(r["t0"] for r in np_results)
        api_span = max(r["t_api"] for r in np_results) - min(r["t0"] for r in np_results)
        out.append(f"throughput: Neuropod {len(ran)} running in {span:.2f} s = {len(ran) / span:.1f} deploys/s "
                   f"({n} answered in {api_span:.2f} s = {n / api_span:.1f}/s)")
    if ready:
        span = max(r["t_ready"] for r in ready) - min(r["t0"] for r in k8s_results)
        out.append(f"            Kubernetes alone {len(ready)} Ready in {span:.2f} s = {len(ready) / span:.1f} pods/s")
    if running and alone:
        p50_np = summary(running)["p50"]
        p50_k8s = summary(alone)["p50"]
        out.append(f"ratio p50 Neuropod / p50 Kubernetes alone: {p50_np / p50_k8s:.2f}x ({p50_np:.0f} ms / {p50_k8s:.0f} ms)")
        out.append(f"time in Neuropod (1 - p50 Kubernetes alone / p50 Neuropod): {1 - p50_k8s / p50_np:.0%}")
    if failures:
        out.append("")
        out.append("FAILED (the figures above cover only what succeeded):")
        out += ["  " + f for f in failures]
    print("\n".join(out), flush=True)


def load_avg():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--api", required=True, help="http://127.0.0.1:PORT of the server")
    p.add_argument("--origin", default=os.environ.get("APP_ORIGIN", "http://localhost:5173"))
    p.add_argument("--mongo", required=True, help="HOST:PORT of the server's database")
    p.add_argument("--db", required=True, help="the server's database name")
    p.add_argument("--kubectl", required=True)
    p.add_argument("--kubeconfig", required=True, help="the sandbox's admin kubeconfig")
    p.add_argument("--namespace", default="neuropod")
    p.add_argument("--instance", default="bench", help="the server's NEUROPOD_K8S_INSTANCE")
    p.add_argument("--workdir", required=True)
    p.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", 50)))
    p.add_argument("--pods-per-user", type=int, default=int(os.environ.get("BENCH_PODS_PER_USER", 4)))
    p.add_argument("--image", default=os.environ.get("BENCH_IMAGE", "nginx:1.27"))
    p.add_argument("--deploy", choices=("template", "custom"), default=os.environ.get("BENCH_DEPLOY", "template"),
                   help="template: from a template like the tier with 16Mi of disk; custom: a custom image with the tier")
    p.add_argument("--poll-ms", type=int, default=int(os.environ.get("BENCH_POLL_MS", 20)))
    p.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_TIMEOUT_S", 300)))
    args = p.parse_args()
    load_before = load_avg()

    mongo_host, mongo_port = args.mongo.rsplit(":", 1)
    if mongo_host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback database: {args.mongo}")
    kube_cfg = KubeConfig(args.kubectl, args.kubeconfig, os.path.join(args.workdir, "kube"))
    kube = KubeClient(kube_cfg)

    admin = ApiClient(args.api, args.origin).sign_in(ADMIN_EMAIL)
    configure(admin, args)
    users = [ApiClient(args.api, args.origin).sign_in(f"bench-user-{u:02d}@example.com") for u in range(args.users)]
    for u in users:
        u.close()  # each deploy opens its own connection with the user's cookie
    poller = DbPoller(mongo_host, int(mongo_port), args.db, args.poll_ms / 1000.0)
    poller.poll_once()  # the collection answers
    poller.start()
    np_results = []
    k8s_results = []
    failures = []
    np_load = ApiServerLoad(kube)
    k8s_load = ApiServerLoad(kube)
    try:
        print("warm-up: one pod on each path (not measured)", file=sys.stderr, flush=True)
        warm_up(args, ApiClient(args.api, args.origin).sign_in("bench-warmup@example.com"), kube, poller)

        print(f"1/2 Neuropod: {args.users * args.pods_per_user} POST /api/pods at once", file=sys.stderr, flush=True)
        np_load.start()
        failures += neuropod_phase(args, users, kube_cfg, poller, np_results)
        np_load.stop()
        template = next(kube.request("GET", pods_path(args.namespace, "np-" + r["id"]))
                        for r in np_results if r.get("t_k8s_created") is not None)

        print("    deleting them (DELETE /api/pods/{id})", file=sys.stderr, flush=True)
        delete_neuropod_pods(args, users, np_results)
        wait_no_pods(kube, args.namespace, managed_selector(args.instance), 120)

        print(f"2/2 Kubernetes alone: {len(np_results)} bare Pods created at once", file=sys.stderr, flush=True)
        k8s_load.start()
        failures += kubernetes_phase(args, kube_cfg, lambda name: bare_manifest(template, name), len(np_results), k8s_results)
        k8s_load.stop()
    except (Failure, StopIteration) as e:
        failures.append(str(e) or "no Pod of Neuropod's was ever seen in Kubernetes")
        print(f"pods_deploy: the run failed:\n{chr(10).join(failures)}", file=sys.stderr)
        return 1
    finally:
        poller.stop.set()
        print("    cleaning up", file=sys.stderr, flush=True)
        cleanup(args, kube, users, np_results)

    report(args, np_results, k8s_results, poller, load_before, failures, np_load, k8s_load)
    return 1 if failures else 0


def delete_neuropod_pods(args, users, results):
    def delete(r):
        c = ApiClient(args.api, args.origin)
        c.cookie = users[r["user"]].cookie
        try:
            c.call("DELETE", f"/api/pods/{r['id']}", ok=(204, 404))
        finally:
            c.close()

    with ThreadPoolExecutor(max_workers=args.users) as pool:
        list(pool.map(delete, [r for r in results if r.get("id") and not r.get("deleted")]))
    for r in results:
        r["deleted"] = True


def cleanup(args, kube, users, np_results):
    """Best effort: whatever is left of both kinds of pods (also after a failure)."""
    try:
        delete_neuropod_pods(args, users, np_results)
    except Exception as e:  # noqa: BLE001 - cleanup goes on
        print(f"cleanup: deleting Neuropod pods: {e}", file=sys.stderr)
    try:
        kube.request("DELETE", pods_path(args.namespace, labelSelector=f"{BENCH_LABEL}=k8s-alone"))
        wait_no_pods(kube, args.namespace, f"{BENCH_LABEL}=k8s-alone", 60)
        wait_no_pods(kube, args.namespace, managed_selector(args.instance), 60)
    except Exception as e:  # noqa: BLE001
        print(f"cleanup: {e}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
