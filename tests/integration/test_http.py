"""HTTP/1.1 behaviour of the real server: keep-alive, pipelining, one byte
at a time, every ceiling answered with its status (RELIABILITY.md rows
13-17), timeouts, the connection ceiling."""

import json
import socket
import time

from dp import (Env, batch, check, eq, finish, make_request, metric, slow_sockets, view)

SETTINGS = dict(max_header_bytes=8192, max_headers=50, max_url_bytes=2048,
                max_body_bytes=65536, max_decompressed_bytes=262144, max_events=200,
                header_timeout_ms=800, body_timeout_ms=800, keepalive_timeout_ms=1500,
                max_connections=40)

with Env(**SETTINGS) as env:
    s, r = env.server, env.redis
    token = s.mint("deck", "pat")

    def ev_req(session, events, close=False):
        return make_request("POST", "/v1/events", json.dumps(batch(session, events, token)),
                            {"Content-Type": "text/plain"}, close=close)

    # Row 17: 100 pipelined requests in one write: 100 answers, in order.
    c = s.conn()
    blob = b"".join(ev_req("pipe", [view(i)]) if i % 2 else
                    make_request("GET", "/healthz") for i in range(100))
    c.send(blob)
    answers = [c.response() for _ in range(100)]
    eq([a.status for a in answers], [202 if i % 2 else 200 for i in range(100)],
       "100 pipelined answers in order")
    c.close()
    e = r.entries()
    eq(sorted(int(x["seq"]) for x in e), list(range(1, 100, 2)),
       "exactly the pipelined events, once each")

    # Pipelined requests that arrive while the first is being answered (the
    # server keeps reading then): answered in order, exactly once each.
    c = s.conn()
    c.send(ev_req("early", [view(1)]))
    c.send(ev_req("early", [view(2)]) + make_request("GET", "/healthz"))
    eq([c.response().status for _ in range(3)], [202, 202, 200], "early next requests")
    c.close()
    eq(sorted(int(x["seq"]) for x in r.entries() if x["session"] == "early"), [1, 2],
       "early requests' events, once each")

    # HEAD on a keep-alive connection: the head of a GET (its Content-Length)
    # and no body, so the next answer on the connection starts right after.
    for path in ("/healthz", "/beacon.js"):
        got = s.get(path)
        c = s.conn()
        c.send(make_request("HEAD", path) + make_request("GET", "/healthz"))
        while c.buf.count(b"\r\n\r\n") < 2 or not c.buf.endswith(b'{"status":"ok"}'):
            c._fill()
        head, rest = c.buf.split(b"\r\n\r\n", 1)
        h = dict(l.split(": ", 1) for l in head.decode().split("\r\n")[1:])
        eq((head.split(b"\r\n")[0], h.get("Content-Length"), h.get("Content-Type")),
           (b"HTTP/1.1 200 OK", str(len(got.body)), got.header("content-type")),
           "HEAD %s: the GET's status, length and type" % path)
        check(rest.startswith(b"HTTP/1.1 200 OK\r\n"),
              "HEAD %s: no body; the next answer follows at once (%r)" % (path, rest[:30]))
        c.close()

    # A client that half-closes after its request still gets the answer.
    raw = socket.create_connection(("127.0.0.1", s.port), 5)
    raw.sendall(ev_req("halfclose", [view(1)]))
    raw.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = raw.recv(4096)
        if not chunk:
            break
        got += chunk
    raw.close()
    check(got.startswith(b"HTTP/1.1 202"), "answer after a half-close: %r" % got[:40])

    # Row 17: one request a byte at a time.
    c = s.conn()
    for b in ev_req("bytewise", [view(1), view(2)]):
        c.send(bytes([b]))
    resp = c.response()
    eq((resp.status, resp.json()), (202, {"accepted": 2}), "request sent a byte at a time")
    # ... and the same connection is kept alive for the next request.
    c.send(make_request("GET", "/healthz"))
    eq(c.response().status, 200, "keep-alive after a byte-wise request")
    c.close()
    eq(len([x for x in r.entries() if x["session"] == "bytewise"]), 2, "byte-wise events")

    def one(raw, timeout=5):
        c = s.conn(timeout)
        try:
            c.send(raw)
            resp = c.response()
            return resp, c.closed_by_peer(3)
        finally:
            c.close()

    def rss_kb():
        for line in open("/proc/%d/status" % s.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    n_before = len(r.entries())
    rss0 = rss_kb()
    # Row 13: 1 MB header line, 500 headers, 16 KB URL.
    resp, closed = one(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    eq((resp.status, closed), (431, True), "1 MB header line -> 431 and close")
    eq(resp.json(), {"error": "request head larger than max_header_bytes"}, "431 body")
    resp, closed = one(b"GET /healthz HTTP/1.1\r\n" + b"A: b\r\n" * 500 + b"\r\n")
    eq((resp.status, closed), (431, True), "500 headers -> 431")
    resp, closed = one(b"GET /" + b"u" * 16384 + b" HTTP/1.1\r\n\r\n")
    eq((resp.status, closed), (414, True), "16 KB URL -> 414")

    # Row 14: body over the limit, by Content-Length and chunked.
    resp, closed = one(b"POST /v1/events HTTP/1.1\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: 1000000000\r\n\r\n")
    eq((resp.status, closed), (413, True), "Content-Length over the limit -> 413")
    chunk = b"%x\r\n%s\r\n" % (8192, b"x" * 8192)
    resp, closed = one(b"POST /v1/events HTTP/1.1\r\nContent-Type: text/plain\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 9 + b"0\r\n\r\n")
    eq((resp.status, closed), (413, True), "chunked body over the limit -> 413")

    # Row 15: request smuggling.
    smuggle = [
        b"POST /v1/events HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n",
        b"POST /v1/events HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n"
        b"abcdGET /healthz HTTP/1.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nX-A: b\r\n folded\r\n\r\n",
        b"GET /healthz HTTP/1.1\nHost: a\n\nGET /healthz HTTP/1.1\r\n\r\n",
    ]
    for i, raw in enumerate(smuggle):
        c = s.conn()
        c.send(raw)
        resp = c.response()
        eq(resp.status, 400, "smuggling case %d -> 400" % i)
        check(c.closed_by_peer(3), "smuggling case %d: connection closed" % i)
        eq(c.buf, b"", "smuggling case %d: no second answer" % i)
        c.close()

    # Row 16: chunk-size overflow, endless chunk extensions.
    resp, closed = one(b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"ffffffffffffffffffffffff\r\n")
    eq((resp.status, closed), (400, True), "chunk-size overflow -> 400")
    resp, closed = one(b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;"
                       + b"e" * 200000)
    eq((resp.status, closed), (400, True), "endless chunk extension -> 400")
    eq(len(r.entries()), n_before, "nothing written by refused requests")
    # None of that was buffered past its ceiling: 20 more 1 MB header lines
    # and 20 more 1 GB Content-Lengths leave the server's memory where it was.
    for _ in range(20):
        one(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
        one(b"POST /v1/events HTTP/1.1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 1000000000\r\n\r\n" + b"x" * 65536)
    grown = rss_kb() - rss0
    check(grown < 16 * 1024, "memory grew %d KB over 40 oversized requests" % grown)

    # Too many events in one batch -> 413.
    resp = s.post_json("/v1/events", batch("big", [view(i) for i in range(1, 202)], token))
    eq((resp.status, resp.json()["error"]), (413, "events: 201 events, more than max_events (200)"),
       "events per batch ceiling")
    eq(s.request("POST", "/v1/events", b"{}", {"Content-Type": "image/png"}).status, 415,
       "wrong content type -> 415")

    # Framing only some parsers see: whitespace before a header's colon is
    # 400 and the connection closes, so the bytes after it are never a
    # second request (RFC 9112 5.1); so are two Host headers and HTTP/1.2.
    for raw, want in [
            (b"GET /healthz HTTP/1.1\r\nContent-Length : 4\r\n\r\nXXXXGET /readyz HTTP/1.1\r\n\r\n",
             "whitespace between a header name and its colon"),
            (b"POST /v1/events HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
             b"GET /readyz HTTP/1.1\r\n\r\n", "whitespace between a header name and its colon"),
            (b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host header"),
            (b"GET /healthz HTTP/1.2\r\n\r\n",
             "HTTP version not supported: only HTTP/1.0 and HTTP/1.1 are")]:
        c = s.conn()
        c.send(raw)
        ans = c.response()
        eq((ans.status, ans.json()), (505 if b"1.2" in raw else 400, {"error": want}), repr(raw[:40]))
        check(c.closed_by_peer(3) and c.buf == b"", "one answer, then closed: %r" % c.buf[:60])
        c.close()

    # Expect: 100-continue: the 100 only for a body a route will read.
    def first_line(raw, body):
        c = s.conn()
        c.send(raw)
        c.sock.settimeout(0.5)
        try:
            got = c.sock.recv(65536)
        except socket.timeout:
            got = b""
        c.sock.settimeout(5)
        c.buf = got
        if got.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
            c.buf = got[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        c.send(body)
        ans = c.response()
        c.close()
        return got.split(b"\r\n", 1)[0], ans.status

    body = json.dumps(batch("cont", [view(1)], token)).encode()
    eq(first_line(b"POST /v1/events HTTP/1.1\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body), body),
       (b"HTTP/1.1 100 Continue", 202), "POST with Expect: 100, then 202")
    eq(first_line(b"POST /nowhere HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
                  b"{}"), (b"", 404), "no 100 for a path no route has")
    eq(first_line(b"PUT /v1/events HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
                  b"{}"), (b"", 405), "no 100 for a method the route does not take")
    eq(first_line(b"GET /healthz HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", b""),
       (b"HTTP/1.1 200 OK", 200), "no 100 on a GET")

    # HEAD of the live stream: its head, no stream
    from dp import SALES
    c = s.conn()
    c.send(b"HEAD /v1/live HTTP/1.1\r\nAuthorization: Bearer " + SALES.encode() + b"\r\n\r\n"
           b"GET /healthz HTTP/1.1\r\n\r\n")
    ans = c.response()
    eq((ans.status, ans.header("content-type"), ans.header("content-length"), ans.body),
       (200, "text/event-stream", "0", b""), "HEAD /v1/live: the head alone")
    eq(c.response().status, 200, "and the connection goes on")
    c.close()

    # Rows 10-11: slowloris and slow body: a request trickled a byte every
    # 0.2 s is answered 408 with the reason when header_timeout_ms (800)
    # runs out counted from its first byte (trickling does not extend it),
    # then closed; the body likewise from the end of the head.
    for body, why in ((False, b"request head not received within header_timeout_ms"),
                      (True, b"request body not received within body_timeout_ms")):
        (data, first, closed), = slow_sockets(s.port, 1, body, 0.8)
        eq((data[:12], why in data), (b"HTTP/1.1 408", True), "%s: 408 with its reason" % why)
        check(first is not None and 0.78 <= first <= 1.25,
              "%s: answered when the timeout ran out (%r s)" % (why, first))
        check(closed is not None and closed - first < 0.5, "%s: then closed" % why)
    # A silent connection is closed after the header timeout, without an answer.
    c = s.conn()
    t0 = time.time()
    check(c.closed_by_peer(3), "silent connection closed")
    check(0.78 <= time.time() - t0 <= 1.25, "after header_timeout_ms (%.2fs)" % (time.time() - t0))
    eq(c.buf, b"", "silent connection gets no answer")
    c.close()
    # Idle keep-alive: closed after keepalive_timeout_ms.
    c = s.conn()
    c.send(make_request("GET", "/healthz"))
    eq(c.response().status, 200, "keep-alive request")
    t0 = time.time()
    check(c.closed_by_peer(5), "idle keep-alive connection closed")
    check(1.48 <= time.time() - t0 <= 2.0, "closed after keepalive_timeout_ms (%.2fs)"
          % (time.time() - t0))
    c.close()
    # Other clients keep their latency while slowloris sockets hang on.
    hangers = []
    for _ in range(20):
        h = socket.create_connection(("127.0.0.1", s.port))
        h.sendall(b"GET / HTTP/1.1\r\n")
        hangers.append(h)
    t0 = time.time()
    eq(s.get("/healthz").status, 200, "healthz while slow clients hang")
    check(time.time() - t0 < 1.0, "healthz answered promptly beside slow clients")

    # Connection ceiling: past max_connections, 503 and close.
    more = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(30)]
    refused = 0
    for m in more:
        m.settimeout(2)
        try:
            if m.recv(200).startswith(b"HTTP/1.1 503"):
                refused += 1
        except socket.timeout:
            pass
    # 20 hangers + 30 more against max_connections 40 (nothing else open)
    eq(refused, 10, "the connections past max_connections get 503")
    for h in hangers + more:
        h.close()
    check(env.server.wait_ready(5), "ready again once the flood is gone")
    eq(metric(s, "dp_connections_refused_total"), 10, "refused connections counted")

finish()
