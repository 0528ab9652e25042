#!/usr/bin/env python3
"""The pod URL auth check under load: helper of bench/pod_auth/run (Python 3 stdlib only).

  prepare --api URL --out DIR   a user signs in (dev-login), deploys a pod with an HTTP port,
                                goes through the pod sign-in (ticket, callback) like a browser and
                                writes DIR/cookie (the neuropod_pod value) and DIR/original_url
                                (https://<pod host>/...); then checks that the check answers 204
                                with the cookie and 401 without it. Exits 1 with the evidence.
  report --dir DIR ...          reads the RESULT lines that wrk's done() printed and prints the
                                table and the ratios.
"""
import argparse
import http.client
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from api_client import ApiClient, ApiError  # noqa: E402

USER_EMAIL = "bench-pod-auth@example.com"
CHECK_PATH = "/api/pod-access/check"
POD_COOKIE = "neuropod_pod"


class Failure(Exception):
    pass


def raw_get(api, path, headers):
    """(status, headers as a list, body) of one GET on its own connection, redirects not followed."""
    url = urllib.parse.urlsplit(api)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read().decode(errors="replace")
    finally:
        conn.close()


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def deploy_pod(user, template):
    """The pod's id and its first http URL (a template with an HTTP port)."""
    _, templates = user.call("GET", "/api/templates")
    items = templates.get("items", templates) if isinstance(templates, dict) else templates
    slugs = [t.get("slug") for t in items]
    if template not in slugs:
        raise Failure(f"no template {template!r} in GET /api/templates (there are {slugs}); set BENCH_TEMPLATE")
    try:
        _, pod = user.call("POST", "/api/pods", {"name": "bench-auth", "template_slug": template}, ok=(201,))
    except ApiError as e:
        raise Failure(f"could not deploy the pod: {e}") from e
    urls = [u["url"] for u in pod.get("urls") or [] if u.get("url", "").startswith(("https://", "http://"))]
    if not urls:
        raise Failure(f"the pod has no URL (template {template!r} needs an http port): {json.dumps(pod)[:500]}")
    return pod["id"], urls[0]


def pod_cookie(api, session_cookie, pod_url):
    """The browser's way: sign-in on the API host (session cookie) -> ticket -> callback on the
    pod host (here: the API with Host: <pod host>) -> Set-Cookie: neuropod_pod."""
    rd = pod_url.rstrip("/") + "/"
    status, headers, body = raw_get(api, "/api/pod-access/signin?" + urllib.parse.urlencode({"rd": rd}),
                                    {"Cookie": session_cookie, "Accept": "text/html"})
    location = (header(headers, "Location") or [""])[0]
    if status != 302 or "/.neuropod/callback?" not in location:
        raise Failure(f"GET /api/pod-access/signin?rd={rd}: HTTP {status}, Location {location!r}, {body[:300]}")
    target = urllib.parse.urlsplit(location)
    status, headers, body = raw_get(api, f"{target.path}?{target.query}", {"Host": target.netloc, "Accept": "text/html"})
    cookies = [c.split(";", 1)[0].split("=", 1)[1] for c in header(headers, "Set-Cookie") if c.startswith(POD_COOKIE + "=")]
    if status != 302 or not cookies or not cookies[0]:
        raise Failure(f"GET {target.path} (Host: {target.netloc}): HTTP {status}, Set-Cookie {header(headers, 'Set-Cookie')}, {body[:300]}")
    return cookies[0]


def check_status(api, original_url, cookie):
    headers = {"X-Original-URL": original_url}
    if cookie:
        headers["Cookie"] = f"{POD_COOKIE}={cookie}"
    status, _, body = raw_get(api, CHECK_PATH, headers)
    return status, body


def prepare(args):
    user = ApiClient(args.api, args.origin).sign_in(USER_EMAIL)
    pod_id, pod_url = deploy_pod(user, args.template)
    cookie = pod_cookie(args.api, user.cookie, pod_url)
    host = urllib.parse.urlsplit(pod_url).netloc
    original_url = f"https://{host}/"
    for what, c, want in (("with the pod cookie", cookie, 204), ("without a cookie", None, 401)):
        status, body = check_status(args.api, original_url, c)
        if status != want:
            raise Failure(f"GET {CHECK_PATH} {what} (X-Original-URL: {original_url}) answered {status}, "
                          f"not {want}: {body[:300]}")
    os.makedirs(args.out, exist_ok=True)
    for name, value in (("cookie", cookie), ("original_url", original_url), ("pod_id", pod_id)):
        with open(os.path.join(args.out, name), "w") as f:
            f.write(value)
    print(f"pod {pod_id} ({args.template}) at {original_url}; pod cookie {len(cookie)} bytes; "
          f"check: 204 with it, 401 without", file=sys.stderr)


# ------------------------------------------------------------------------------------ reporting


def read_result(path):
    """The key=value pairs of the RESULT line wrk's done() wrote into `path`, and cpu_s (the CPU
    time the measured server used meanwhile, from the CPU line the script added)."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith(("RESULT ", "CPU ")):
                pairs = {k: float(v) for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
                if line.startswith("CPU "):
                    out["cpu_s"] = pairs["ticks"] / pairs["per_second"]
                else:
                    out.update(pairs)
    if "requests" not in out:
        raise Failure(f"{path}: no RESULT line (wrk failed?)")
    return out


def report(args):
    runs = [  # (label, file, the status every answer must have)
        ("nginx `return 200;`", "nginx", "2xx"),
        ("Neuropod check, pod cookie (204)", "allowed", "2xx"),
        ("Neuropod check, no cookie (401)", "denied", "non-2xx"),
    ]
    r = {name: read_result(os.path.join(args.dir, name + ".out")) for _, name, _ in runs}
    w = 36
    print(f"{'':<{w}} {'requests/s':>11} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>9} "
          f"{'errors':>7} {'CPU us/req':>11}")
    problems = []
    for label, name, want in runs:
        x = r[name]
        rps = x["requests"] / (x["duration_us"] / 1e6)
        errors = x["connect"] + x["read"] + x["write"] + x["timeout"]
        print(f"{label:<{w}} {rps:>11.0f} {x['p50_us'] / 1000:>8.2f} {x['p90_us'] / 1000:>8.2f} "
              f"{x['p99_us'] / 1000:>8.2f} {x['max_us'] / 1000:>8.2f} {x['requests']:>9.0f} {errors:>7.0f} "
              f"{1e6 * x.get('cpu_s', 0) / max(x['requests'], 1):>11.1f}")
        x["rps"] = rps
        x["cpu_us"] = 1e6 * x.get("cpu_s", 0) / max(x["requests"], 1)
        wrong = x["non2xx"] if want == "2xx" else x["requests"] - x["non2xx"]
        if wrong:
            problems.append(f"{label}: {wrong:.0f} of {x['requests']:.0f} answers were not {want}")
        if errors:
            problems.append(f"{label}: socket errors connect {x['connect']:.0f}, read {x['read']:.0f}, "
                            f"write {x['write']:.0f}, timeout {x['timeout']:.0f}")
    print()
    base = r["nginx"]
    for label, name in (("pod cookie (204)", "allowed"), ("no cookie (401)", "denied")):
        x = r[name]
        cpu = f", CPU per request {x['cpu_us'] / base['cpu_us']:.1f} x" if base["cpu_us"] > 0 else ""
        print(f"Neuropod/nginx, {label:<17}: requests/s {x['rps'] / base['rps']:.2f} x, "
              f"p50 {x['p50_us'] / base['p50_us']:.1f} x, p99 {x['p99_us'] / base['p99_us']:.1f} x{cpu}")
    a = r["allowed"]
    half = a["rps"] >= 0.5 * base["rps"]
    print(f"targets (pod cookie, {args.connections} connections): at least half nginx's rate: "
          f"{a['rps']:.0f} vs {0.5 * base['rps']:.0f} -> {'met' if half else 'NOT met'}; "
          f"p99 < 5 ms: {a['p99_us'] / 1000:.2f} ms -> {'met' if a['p99_us'] < 5000 else 'NOT met'}")
    # The per-IP limit (a token bucket of NEUROPOD_RATE_GENERAL_PER_MIN, refilled over a minute)
    # answers 429 once it runs dry: a 429 would count as non-2xx (a problem above for the cookie
    # run, invisible in the 401 run), so say when the run could have emptied it.
    sent = args.neuropod_requests
    allowed = args.rate_per_min * (1 + args.neuropod_seconds / 60.0)
    if sent > 0.9 * allowed:
        problems.append(f"{sent:.0f} requests to Neuropod in {args.neuropod_seconds:.0f} s is close to what the per-IP "
                        f"limit lets through ({allowed:.0f}): some answers may have been 429")
    for p in problems:
        print(f"WARNING: {p}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prepare")
    pp.add_argument("--api", required=True)
    pp.add_argument("--origin", default=os.environ.get("APP_ORIGIN", "http://localhost:5173"))
    pp.add_argument("--template", default="comfyui")
    pp.add_argument("--out", required=True)
    rp = sub.add_parser("report")
    rp.add_argument("--dir", required=True)
    rp.add_argument("--connections", type=int, required=True)
    rp.add_argument("--rate-per-min", type=float, required=True)
    rp.add_argument("--neuropod-requests", type=float, required=True, help="all sent to Neuropod, warm-ups too")
    rp.add_argument("--neuropod-seconds", type=float, required=True, help="from the first to the last of them")
    args = p.parse_args()
    try:
        if args.cmd == "prepare":
            prepare(args)
            return 0
        return report(args)
    except (Failure, ApiError, OSError) as e:
        print(f"pod_auth: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
