"""Startup and shutdown: --check-config, configuration errors naming the
key, the banner, generated secrets, and SIGTERM finishing requests in
flight before a clean exit."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from dp import SERVER, Redis, Server, batch, check, eq, finish, make_request, view


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([SERVER] + list(args), capture_output=True, text=True, timeout=30, env=e)
    return p.returncode, p.stdout, p.stderr


tmp = tempfile.mkdtemp(prefix="dp-it-")
conf = os.path.join(tmp, "dp.conf")
with open(conf, "w") as f:
    f.write("listen = 127.0.0.1:9\nmax_events = 100\n")
eq(run("--config", conf, "--check-config")[:2], (0, "configuration OK\n"), "--check-config OK")
with open(conf, "a") as f:
    f.write("max_evnts = 5\n")
rc, out, err = run("--config", conf, "--check-config")
eq((rc, err.strip()), (2, "deckpulse-server: configuration error: unknown key 'max_evnts' (%s:3)"
                       % conf), "unknown key in the file")
rc, out, err = run("--check-config", "--max_connections", "0")
eq((rc, err.strip()), (2, "deckpulse-server: configuration error: max_connections: must be an "
                       "integer between 1 and 1000000, got '0' (flag --max_connections)"),
   "bad flag value")
rc, out, err = run("--check-config", env={"DECKPULSE_API_KEYS": "root:abcdefghijklmnopq"})
eq((rc, err.strip()), (2, "deckpulse-server: configuration error: api_keys: entry 1: role must "
                       "be admin, marketing or sales"), "bad api_keys from the environment")
rc, out, err = run("--check-config", "--listen", "localhost")
eq(rc, 2, "bad listen")
check("listen: expected address:port" in err, "listen error names the key")
rc, out, _ = run("--help")
check(rc == 0 and "--max_body_bytes" in out and "--allowed_origins" in out, "--help lists settings")

redis = Redis(tmp)

# No redis configured and no redis-server to start: a clear error, exit 1.
rc, out, err = run("--listen", "127.0.0.1:0", "--data_dir", os.path.join(tmp, "d0"),
                   "--redis_server", "no-such-redis-server")
eq((rc, err.strip()), (1, "deckpulse-server: cannot start: redis_server: 'no-such-redis-server' "
                       "not found (apt-get install redis-server, or set redis to an existing "
                       "Redis)"), "missing redis-server")

# Banner and generated secrets (no secret, no api_keys configured).
srv = Server(tmp, redis.url(), secret=None, api_keys=None)
key = open(os.path.join(srv.data_dir, "admin.key")).read().strip()
check(key.startswith("dpk_") and len(key) == 44, "generated admin key")
eq(oct(os.stat(os.path.join(srv.data_dir, "admin.key")).st_mode & 0o777), "0o600", "key file mode")
eq(len(open(os.path.join(srv.data_dir, "secret")).read().strip()), 64, "generated secret")
check(key in srv.banner, "banner prints the admin key")
check(re.search(r'<script src="http://127\.0\.0\.1:%d/beacon\.[0-9a-f]{8}\.js" async '
                r'data-endpoint="http://127\.0\.0\.1:%d"' % (srv.port, srv.port), srv.banner),
      "banner prints the embed snippet")
check(srv.wait_ready(), "ready")
token = srv.mint("deck", "pat", key=key)
eq(srv.stop(), 0, "exit code")
# The same data_dir keeps its key and secret: old tokens still verify.
srv2 = Server(tmp, redis.url(), data_dir=srv.data_dir, secret=None, api_keys=None)
check(srv2.wait_ready(), "ready (restart)")
check(key in srv2.banner, "same admin key after a restart")
eq(srv2.post_json("/v1/events", batch("r", [view(1)], token)).status, 202,
   "a token minted before the restart still verifies")
eq(srv2.stop(), 0, "exit code")

# SIGTERM with a request half sent: it is finished and answered, then the
# server exits; idle connections are closed; new connections are refused.
srv = Server(tmp, redis.url())
check(srv.wait_ready(), "ready")
token = srv.mint("deck", "pat")
idle = srv.conn()
busy = srv.conn()
req = make_request("POST", "/v1/events", json.dumps(batch("term", [view(1), view(2)], token)),
                   {"Content-Type": "text/plain"})
busy.send(req[:-5])
# a /healthz answered after the partial request was in its socket: the loop has read it
eq(srv.get("/healthz").status, 200, "the server has the partial request")
srv.proc.send_signal(signal.SIGTERM)
# the idle connection closed: the server has taken the signal
check(idle.closed_by_peer(3), "idle connection closed on SIGTERM")
busy.send(req[-5:])
resp = busy.response()
eq((resp.status, resp.json()), (202, {"accepted": 2}), "request in flight finished")
eq(resp.header("connection"), "close", "answered with Connection: close")
rc = srv.proc.wait(15)
eq(rc, 0, "clean exit after SIGTERM")
srv.stop()
eq(redis.event_count(), 3, "every acknowledged event is in Redis")

# SIGTERM with a request that never ends (its body stops half way, the body
# timeout far away) and one waiting for a frozen Redis: after
# shutdown_timeout_ms the server closes them, says so, and exits 0; neither
# was acknowledged.
srv = Server(tmp, redis.url(), shutdown_timeout_ms=1000, body_timeout_ms=60000,
             header_timeout_ms=60000, redis_timeout_ms=60000)
check(srv.wait_ready(), "ready")
token = srv.mint("deck", "pat")
endless = srv.conn()
endless.send(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 1000\r\n\r\n{\"session\": \"never\"")
eq(srv.get("/healthz").status, 200, "the server has the endless request")
os.kill(redis.proc.pid, signal.SIGSTOP)
waiting = srv.conn()
try:
    waiting.send(make_request("POST", "/v1/events", json.dumps(batch("frozen", [view(1)], token)),
                              {"Content-Type": "text/plain"}))
    eq(srv.get("/healthz").status, 200, "the server has the request waiting for Redis")
    t0 = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    rc = srv.proc.wait(15)
    took = time.time() - t0
finally:
    os.kill(redis.proc.pid, signal.SIGCONT)
eq(rc, 0, "exit 0 after shutdown_timeout_ms")
check(0.95 <= took < 2.5, "exited when shutdown_timeout_ms (1 s) ran out (%.2fs)" % took)
check(endless.closed_by_peer(1) and waiting.closed_by_peer(1), "both connections closed")
eq((endless.buf, waiting.buf), (b"", b""), "neither got an answer (nothing acknowledged)")
check("shutdown: 2 connection(s) still open after shutdown_timeout_ms; closing them" in srv.log(),
      "the forced close is logged")
srv.stop()

redis.stop()
shutil.rmtree(tmp, ignore_errors=True)
finish()
