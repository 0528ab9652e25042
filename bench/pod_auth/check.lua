-- wrk script of bench/pod_auth/run: the request ingress-nginx sends to the auth check for a
-- browser's request to a pod host (the browser's headers plus X-Original-URL and its own), the
-- same for every target (nginx ignores them). BENCH_COOKIE empty: no Cookie header.
-- done() prints one RESULT line (latencies in microseconds) for bench/pod_auth/pod_auth.py.
local original = os.getenv("BENCH_ORIGINAL_URL") or "https://pod.example/"
local cookie = os.getenv("BENCH_COOKIE") or ""

wrk.method = "GET"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-US,en;q=0.5"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"
wrk.headers["X-Scheme"] = "https"
wrk.headers["X-Original-URL"] = original
wrk.headers["X-Original-Method"] = "GET"
wrk.headers["X-Sent-From"] = "nginx-ingress-controller"
wrk.headers["X-Real-IP"] = "127.0.0.1"
wrk.headers["X-Forwarded-For"] = "127.0.0.1"
wrk.headers["X-Auth-Request-Redirect"] = "/"
if cookie ~= "" then
  wrk.headers["Cookie"] = "neuropod_pod=" .. cookie
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
