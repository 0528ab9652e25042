"""The Kubernetes REST API over http.client, with a kubeconfig's client certificate or token.

The kubeconfig is read through `kubectl config view --raw -o json` (no YAML parser needed); the
embedded certificates are written to files in `workdir` (ssl wants files).
"""
import base64
import http.client
import json
import os
import ssl
import subprocess
import urllib.parse


class KubeError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status


class KubeConfig:
    def __init__(self, kubectl, kubeconfig, workdir):
        raw = subprocess.run(
            [kubectl, "--kubeconfig", kubeconfig, "config", "view", "--raw", "--minify", "-o", "json"],
            check=True, capture_output=True, text=True,
        ).stdout
        cfg = json.loads(raw)
        cluster = cfg["clusters"][0]["cluster"]
        user = cfg["users"][0]["user"]
        context = cfg["contexts"][0]["context"]
        url = urllib.parse.urlsplit(cluster["server"])
        if url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing a non-loopback API server: {cluster['server']}")
        self.host, self.port = url.hostname, url.port or 443
        self.namespace = context.get("namespace", "default")
        os.makedirs(workdir, exist_ok=True)

        def to_file(name, data_key, path_key, section):
            if section.get(data_key):
                path = os.path.join(workdir, name)
                with open(path, "wb") as f:
                    f.write(base64.b64decode(section[data_key]))
                os.chmod(path, 0o600)
                return path
            return section.get(path_key)

        self.ssl = ssl.create_default_context(
            cafile=to_file("ca.crt", "certificate-authority-data", "certificate-authority", cluster)
        )
        cert = to_file("client.crt", "client-certificate-data", "client-certificate", user)
        key = to_file("client.key", "client-key-data", "client-key", user)
        if cert:
            self.ssl.load_cert_chain(cert, key)
        self.token = user.get("token")


class KubeClient:
    """One HTTPS connection (not thread-safe: one client per thread)."""

    def __init__(self, config, timeout=60.0):
        self.cfg = config
        self.timeout = timeout
        self.conn = None
        self.used = False

    def connect(self):
        self.conn = http.client.HTTPSConnection(
            self.cfg.host, self.cfg.port, context=self.cfg.ssl, timeout=self.timeout
        )
        self.conn.connect()
        self.used = False

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def _headers(self, body):
        h = {"Accept": "application/json"}
        if body is not None:
            h["Content-Type"] = "application/json"
        if self.cfg.token:
            h["Authorization"] = f"Bearer {self.cfg.token}"
        return h

    def _exchange(self, method, path, data, headers):
        """(status, body bytes). A keep-alive connection the server closed meanwhile is opened
        again once (the request never reached it)."""
        if self.conn is None:
            self.connect()
        reused = self.used  # a connection that already carried an exchange, now idle
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            body = resp.read()
            self.used = True
            return resp.status, body
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            return self._exchange(method, path, data, headers)
        except (http.client.HTTPException, OSError):
            self.close()
            raise

    def request(self, method, path, body=None, ok=(200, 201, 202)):
        data = None if body is None else json.dumps(body).encode()
        status, text = self._exchange(method, path, data, self._headers(body))
        if status not in ok:
            raise KubeError(method, path, status, text.decode(errors="replace"))
        return json.loads(text) if text else None

    def text(self, path):
        """A plain-text GET (e.g. /metrics)."""
        headers = self._headers(None)
        headers["Accept"] = "text/plain"
        status, body = self._exchange("GET", path, None, headers)
        if status != 200:
            raise KubeError("GET", path, status, body.decode(errors="replace"))
        return body.decode(errors="replace")

    def open_watch(self, path):
        """A watch request on its own connection, its response headers received."""
        return WatchStream(self.cfg, path, self._headers(None), self.timeout)


class WatchStream:
    """Yields (type, object) from a watch until it ends; close() from any thread stops it."""

    def __init__(self, cfg, path, headers, timeout):
        self.conn = http.client.HTTPSConnection(cfg.host, cfg.port, context=cfg.ssl, timeout=timeout)
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            body = self.resp.read().decode(errors="replace")
            self.conn.close()
            raise KubeError("GET", path, self.resp.status, body)

    def events(self):
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                if line.strip():
                    ev = json.loads(line)
                    yield ev["type"], ev["object"]
        except Exception:  # noqa: BLE001 - closed under us (close()) or cut: the events so far stand
            return

    def close(self):
        try:
            if self.conn.sock is not None:
                self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


def pods_path(namespace, name="", **query):
    path = f"/api/v1/namespaces/{namespace}/pods"
    if name:
        path += "/" + name
    if query:
        path += "?" + urllib.parse.urlencode(query)
    return path


def is_ready(pod):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def request_latencies(client):
    """The API server's own request counters: {(verb, resource/subresource): (count, seconds)},
    from apiserver_request_duration_seconds (watches and proxies left out)."""
    out = {}
    for line in client.text("/metrics").splitlines():
        if not line.startswith("apiserver_request_duration_seconds_"):
            continue
        name, _, value = line.rpartition(" ")
        kind = "count" if name.startswith("apiserver_request_duration_seconds_count{") else (
            "sum" if name.startswith("apiserver_request_duration_seconds_sum{") else None)
        if kind is None:
            continue
        labels = dict(part.split("=", 1) for part in name[name.index("{") + 1 : -1].split(",") if "=" in part)
        labels = {k: v.strip('"') for k, v in labels.items()}
        verb = labels.get("verb", "")
        if verb in ("WATCH", "WATCHLIST", "CONNECT"):
            continue
        resource = labels.get("resource", "")
        if labels.get("subresource"):
            resource += "/" + labels["subresource"]
        count, total = out.get((verb, resource), (0, 0.0))
        if kind == "count":
            count += int(float(value))
        else:
            total += float(value)
        out[(verb, resource)] = (count, total)
    return out

