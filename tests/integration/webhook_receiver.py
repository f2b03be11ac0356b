"""A local webhook endpoint for the tests (issue 21): it verifies every
signature with its own implementation of the Standard Webhooks scheme
(HMAC-SHA256 over "id.timestamp.body" with the whsec_ key, base64, "v1,"),
records what it got, and can answer 500 once (/flaky), hang (/hang) or drop
the connection (/close)."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.got = []          # (path, headers, body)
        self.secrets = {}      # path -> whsec_...
        self.bad = []          # signature failures
        self.fail_once = set()
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path
                if path == "/hang":
                    time.sleep(30)
                    return
                if path == "/close":
                    self.connection.close()
                    return
                with rec.lock:
                    rec.verify(path, self.headers, body)
                    rec.got.append((path, dict(self.headers), body))
                    status = 200
                    mid = self.headers.get("webhook-id")
                    if path == "/flaky" and mid not in rec.fail_once:
                        rec.fail_once.add(mid)
                        status = 500
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def verify(self, path, headers, body):
        """Standard Webhooks, done independently of the notifier's C."""
        secret = self.secrets.get(path)
        mid, ts, sig = (headers.get("webhook-id"), headers.get("webhook-timestamp"),
                        headers.get("webhook-signature"))
        key = base64.b64decode(secret[len("whsec_"):]) if secret else b""
        want = base64.b64encode(hmac.new(key, ("%s.%s." % (mid, ts)).encode() + body,
                                         hashlib.sha256).digest()).decode()
        ok = (secret and sig and any(s == "v1," + want for s in sig.split(" "))
              and abs(int(ts) - time.time()) < 300)
        if not ok:
            self.bad.append((path, mid, ts, sig))

    def bodies(self, path, temperature=False):
        """What path received; the server's prospect.temperature alerts
        (which come when its watcher passes) only when asked for."""
        with self.lock:
            got = [json.loads(b) for p, _, b in self.got if p == path]
        return [b for b in got if temperature or b.get("type") != "prospect.temperature"]

    def ids(self, path):
        with self.lock:
            return [h.get("webhook-id") for p, h, _ in self.got if p == path]
