"""Neuropod's REST API as a signed-in user: one keep-alive connection, one session cookie.

Not thread-safe: one client per thread. State-changing requests carry the headers of the web app
(Origin and X-Requested-With), as the server's CSRF check wants.
"""
import http.client
import json
import urllib.parse


class ApiError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class ApiClient:
    def __init__(self, base_url, origin, timeout=120.0):
        url = urllib.parse.urlsplit(base_url)
        if url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing a non-loopback API: {base_url}")
        self.host, self.port = url.hostname, url.port or 80
        self.origin = origin
        self.timeout = timeout
        self.cookie = None
        self.conn = None
        self.used = False

    def connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.conn.connect()
        self.used = False

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        """(status, parsed JSON or None); raises ApiError for a status not in `ok`."""
        if self.conn is None:
            self.connect()
        reused = self.used  # a connection that already carried an exchange, now idle
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["Origin"] = self.origin
            headers["X-Requested-With"] = "neuropod"
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            text = resp.read()
            self.used = True
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            return self.call(method, path, body, ok)  # the server had closed the idle connection
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie" and value.startswith("neuropod_session="):
                self.cookie = value.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        if resp.status not in ok:
            raise ApiError(method, path, resp.status, text.decode(errors="replace"))
        return resp.status, (json.loads(text) if text else None)

    def sign_in(self, email):
        self.call("POST", "/api/auth/dev-login", {"email": email})
        if not self.cookie:
            raise ApiError("POST", "/api/auth/dev-login", 200, "no neuropod_session cookie set")
        return self
