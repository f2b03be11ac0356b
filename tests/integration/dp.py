"""Harness for deckpulse integration tests: a throwaway redis-server, the
real deckpulse-server binary, a raw HTTP/1.1 client and a minimal RESP
client. Standard library only. Every wait is bounded."""

import base64
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVER = os.environ.get("DP_SERVER", "build/deckpulse-server")
COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
NOTIFIER = os.environ.get("DP_NOTIFIER", "build/deckpulse-notifier")
REDIS_SERVER = os.environ.get("DP_REDIS_SERVER", "redis-server")
SERVER_PREEXEC = None  # run in the server's process before exec (rlimits)
SECRET = "integration-test-secret-0123456789abcdef"
ADMIN = "admin-key-0123456789abcdef"
SALES = "sales-key-0123456789abcdef"
MARKETING = "mktg-key-0123456789abcdef"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def eq(got, want, what):
    if got == want:
        return True
    if isinstance(got, dict) and isinstance(want, dict):
        diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                if got.get(k) != want.get(k)}
        return check(False, "%s: differs at (got, want) %r" % (what, dict(list(diff.items())[:8])))
    return check(False, ("%s: got %r, want %r" % (what, got, want))[:1500])


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


def metrics(text):
    """Parses Prometheus text: {"name" or "name{labels}": value}. Raises on a
    line that is neither a comment nor "series value"."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def metric(srv, series):
    """The value of one series of srv's /metrics (a name, or a name with its
    labels exactly as printed); fails the test when it is missing, so a
    check on it cannot pass because the metric went away."""
    m = metrics(srv.get("/metrics").body.decode())
    if series not in m:
        check(False, "/metrics has no %s" % series)
        raise AssertionError("no metric " + series)
    v = m[series]
    return int(v) if v == int(v) else v


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout=10.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


class Redis:
    """A throwaway redis-server on a free TCP port, AOF on and fsynced before
    it answers (appendfsync always), like the private one in production."""

    def __init__(self, tmp, port=None, appendfsync="always"):
        self.dir = os.path.join(tmp, "redis-%d" % time.time_ns())
        os.makedirs(self.dir)
        self.port = port or free_port()
        self.appendfsync = appendfsync
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
             "--maxmemory-policy", "noeviction", "--daemonize", "no", "--logfile", "redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(self._pingable), "redis-server did not start"

    def _pingable(self):
        try:
            return self.cmd("PING") == "PONG"
        except (OSError, RuntimeError):  # not up yet, or still LOADING its AOF
            return False

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def stop(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def cmd(self, *args):
        return resp_command(("127.0.0.1", self.port), args)

    def entries(self, key="dp:{0}:events"):
        """XRANGE as a list of dicts of fields, one per event: a batch entry
        (include/deckpulse/event.h, v 2 or 3) gives one dict per event, with
        its batch's fields and the event's own."""
        out = []
        for _id, fields in self.cmd("XRANGE", key, "-", "+"):
            out.extend(expand(dict(zip(fields[::2], fields[1::2]))))
        return out

    def event_count(self, key="dp:{0}:events"):
        """How many events the stream holds."""
        return len(self.entries(key))


def crc16(data):
    """CRC16-CCITT (XMODEM), the one Redis Cluster slots use."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key):
    k = key.encode() if isinstance(key, str) else key
    o = k.find(b"{")
    if o >= 0:
        c = k.find(b"}", o + 1)
        if c > o + 1:
            k = k[o + 1:c]
    return crc16(k) % 16384


class Cluster:
    """A 6-node Redis Cluster (scripts/cluster.sh: 3 primaries, 3 replicas,
    AOF always) on free loopback ports; cmd() routes by the first key's
    slot (as deckpulse does) and follows MOVED; KEYS asks every primary."""

    KEYLESS = {"PING", "INFO", "CLUSTER", "CONFIG", "DBSIZE", "FLUSHALL", "WAIT"}

    def __init__(self, tmp, node_timeout=2000):
        self.dir = os.path.join(tmp, "cluster-%d" % time.time_ns())
        self.base = self._free_run(6)
        self.script = os.path.join(os.environ.get("DP_SOURCE_DIR", "."), "scripts", "cluster.sh")
        p = subprocess.run([self.script, "start", self.dir, str(self.base)], capture_output=True,
                           text=True, timeout=90, env=dict(os.environ, NODE_TIMEOUT=str(node_timeout)))
        assert p.returncode == 0, "cluster did not start: " + p.stderr[-500:]
        self.seeds = p.stdout.strip()
        self.ports = [self.base + i for i in range(6)]
        self.refresh()

    @staticmethod
    def _free_run(n):
        import random
        for _ in range(200):
            base = random.randint(20000, 50000)
            ok = True
            for port in list(range(base, base + n)) + list(range(base + 10000, base + 10000 + n)):
                sk = socket.socket()
                try:
                    sk.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                finally:
                    sk.close()
            if ok:
                return base
        raise RuntimeError("no free ports")

    def refresh(self):
        """The slot map from any node that answers."""
        for port in self.ports:
            try:
                slots = resp_command(("127.0.0.1", port), ["CLUSTER", "SLOTS"])
            except (OSError, RuntimeError):
                continue
            self.slot_port = {}
            for lo, hi, primary, *_ in slots:
                for sl in range(lo, hi + 1):
                    self.slot_port[sl] = primary[1]
            return
        raise RuntimeError("no cluster node answers")

    def primaries(self):
        return sorted(set(self.slot_port.values()))

    def url(self):
        return self.seeds

    def node_cmd(self, port, *args):
        return resp_command(("127.0.0.1", port), args)

    def cmd(self, *args):
        verb = str(args[0]).upper()
        if verb == "KEYS":
            return sum((self.node_cmd(p, *args) for p in self.primaries()), [])
        if verb in self.KEYLESS or len(args) < 2:
            return self.node_cmd(self.primaries()[0], *args)
        # XINFO STREAM key, XGROUP CREATE key ...: the key comes second
        key = args[2] if verb in ("XINFO", "XGROUP", "OBJECT", "MEMORY") else args[1]
        slot = key_slot(str(key))
        for _ in range(10):
            try:
                return self.node_cmd(self.slot_port[slot], *args)
            except RuntimeError as e:
                if not str(e).startswith(("MOVED", "TRYAGAIN", "CLUSTERDOWN")):
                    raise
                time.sleep(0.1)
                self.refresh()
            except OSError:
                time.sleep(0.2)
                self.refresh()
        raise RuntimeError("cluster: no answer for slot %d" % slot)

    def stop(self):
        subprocess.run([self.script, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


EVENT_FIELDS = {"open": ["slides"], "close": [], "view": ["material", "slide", "version", "index"],
                "dwell": ["material", "slide", "version", "ms"],
                "action": ["material", "slide", "version", "name"]}


HEAD_FIELDS = ["received", "source", "session", "mode", "presentation", "viewer", "prospect",
               "account", "campaign", "owner"]


def _events(common, lines, v):
    out = []
    for line in lines:
        tok = line.split(" ")
        ev = dict(common, v=v, seq=tok[0], type=tok[1], at=tok[2])
        ev.update(zip(EVENT_FIELDS[tok[1]], tok[3:]))
        out.append(ev)
    return out


def expand(entry):
    """The events of one stream entry as dicts of fields (v 1: itself; v 2:
    one batch; v 3: several, each a head line and its events, parsed here
    independently of the collector: include/deckpulse/event.h)."""
    if entry.get("v") == "2":
        common = {k: v for k, v in entry.items() if k not in ("v", "n", "events")}
        out = _events(common, entry["events"].split("\n"), "2")
        assert len(out) == int(entry["n"]), entry
        return out
    if entry.get("v") != "3":
        return [entry]
    assert set(entry) == {"v", "k", "n", "batches"}, entry
    lines = entry["batches"].split("\n")
    out, i, k = [], 0, 0
    while i < len(lines):
        head = lines[i].split(" ")
        assert len(head) == 11, lines[i]
        common = {f: x for f, x in zip(HEAD_FIELDS, head) if x != ""}
        n = int(head[10])
        out.extend(_events(common, lines[i + 1:i + 1 + n], "3"))
        i += 1 + n
        k += 1
    assert k == int(entry["k"]) and len(out) == int(entry["n"]), entry
    return out


def resp_command(addr, args, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(addr)
    try:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        s.sendall(b"".join(parts))
        f = s.makefile("rb")
        return _resp_read(f)
    finally:
        s.close()


def _resp_read(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed the connection")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise RuntimeError(rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise RuntimeError("bad RESP: %r" % line)


class Server:
    """The real deckpulse-server, on a free port, with test keys."""

    def __init__(self, tmp, redis_url, data_dir=None, **settings):
        self.tmp = tmp
        self.data_dir = data_dir or os.path.join(tmp, "data-%d" % time.time_ns())
        args = {"listen": "127.0.0.1:0", "redis": redis_url, "data_dir": self.data_dir,
                "secret": SECRET,
                "api_keys": "admin:%s,sales:%s,marketing:%s" % (ADMIN, SALES, MARKETING),
                "redis_timeout_ms": "1000", "start_collector": "false", "start_notifier": "false",
                # tests post hard from one address without browser headers:
                # abuse controls are tested on their own (test_abuse.py)
                "drop_bots": "false", "rate_ip_per_s": "0", "rate_link_per_s": "0",
                "rate_ip_events_per_s": "0", "rate_link_events_per_s": "0"}
        args.update({k: (None if v is None else str(v)) for k, v in settings.items()})
        self.argv = [SERVER]
        for k, v in args.items():
            if v is not None:
                self.argv += ["--" + k, v]
        self.stderr_path = os.path.join(tmp, "server-%d.log" % time.time_ns())
        self.proc = None
        self.start()

    def start(self):
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self.stderr,
                                     cwd=self.tmp, preexec_fn=SERVER_PREEXEC)
        self.port = None
        end = time.time() + 20
        buf = b""
        while time.time() < end and self.port is None:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = re.search(rb"Listening on:\s+http://127\.0\.0\.1:(\d+)", buf)
                if m:
                    self.port = int(m.group(1))
        if self.port is None:
            raise RuntimeError("server did not start: %s\n%s" % (buf, self.log()))
        self.banner = buf.decode(errors="replace")

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the server; returns its exit code. Checks the sanitizers
        found nothing."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            check(False, "server did not exit within %ss of signal %d" % (timeout, sig))
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None
        log = self.log()
        check("AddressSanitizer" not in log and "runtime error" not in log
              and "LeakSanitizer" not in log, "sanitizer report in server log:\n" + log[-3000:])
        return rc

    def wait_ready(self, timeout=10):
        return wait_until(lambda: self.get("/readyz").status == 200, timeout, 0.05)

    # HTTP helpers
    def conn(self, timeout=10, source=None):
        return Conn(self.port, timeout, source)

    def request(self, method, path, body=b"", headers=None, timeout=10, source=None):
        c = self.conn(timeout, source)
        try:
            c.send(make_request(method, path, body, headers))
            return c.response()
        finally:
            c.close()

    def get(self, path, headers=None):
        return self.request("GET", path, b"", headers)

    def post_json(self, path, obj, headers=None, source=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.request("POST", path, json.dumps(obj).encode(), h, source=source)

    def mint(self, presentation="p1", prospect="jane", key=ADMIN, **extra):
        body = {"presentation": presentation, "prospect": prospect}
        body.update(extra)
        r = self.post_json("/v1/links", body, {"Authorization": "Bearer " + key})
        assert r.status == 201, (r.status, r.body)
        return r.json()["token"]


def make_request(method, path, body=b"", headers=None, close=False):
    if isinstance(body, str):
        body = body.encode()
    h = {"Host": "127.0.0.1"}
    h.update(headers or {})
    if body or method in ("POST", "PUT"):
        if "Transfer-Encoding" not in h:
            h.setdefault("Content-Length", str(len(body)))
    if close:
        h["Connection"] = "close"
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % kv for kv in h.items())
    return head.encode() + b"\r\n" + body


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


class Conn:
    """One raw keep-alive connection."""

    def __init__(self, port, timeout=10, source=None):
        """source: the local address to connect from (any of 127.0.0.0/8,
        so one test can be several client networks)."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if status == 100:
            return self.response()
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Response(status, headers, body)

    def closed_by_peer(self, timeout=5.0):
        """True if the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def batch(session, events, token=None, mode="self", presentation=None):
    b = {"session": session, "mode": mode, "events": events}
    if token is not None:
        b["token"] = token
    if presentation is not None:
        b["presentation"] = presentation
    return b


AT = 1763800000000


def view(seq, material="q3-pricing", slide="roi", version=1, index=0, at=None):
    return {"seq": seq, "type": "view", "at": at or AT + seq, "material": material,
            "slide": slide, "version": version, "index": index}


def forge_token(presentation, prospect, expires_ms, secret=SECRET, account="", campaign="",
                owner=""):
    payload = "1|%s|%s|%s|%s|%s|%d" % (presentation, prospect, account, campaign, owner,
                                      expires_ms)
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return b64(payload.encode()) + "." + b64(mac)


class Env:
    """A temporary directory with a Redis and a server, torn down after."""

    def __init__(self, appendfsync="always", cluster=False, **settings):
        self.tmp = tempfile.mkdtemp(prefix="dp-it-")
        self.children = []
        self.redis = Cluster(self.tmp) if cluster else Redis(self.tmp, appendfsync=appendfsync)
        self.server = Server(self.tmp, self.redis.url(), **settings)
        assert self.server.wait_ready(), "server never became ready:\n" + self.server.log()

    def collector(self, name, redis_url=None, extra=()):
        """A deckpulse-collector on this Env's Redis and data_dir, quick to
        end sessions and claim entries, logging to collector-<name>.log;
        killed when the Env closes, whatever happened."""
        log = open(os.path.join(self.tmp, "collector-%s.log" % name), "ab")
        p = subprocess.Popen(
            [COLLECTOR, "--redis", redis_url or self.redis.url(), "--data_dir",
             self.server.data_dir, "--collector_name", name, "--session_timeout_ms", "1500",
             "--claim_idle_ms", "500", "--max_deliveries", "3", "--log_level", "warn"]
            + list(extra), stdout=log, stderr=log)
        self.children.append(p)
        return p

    def notifier(self, name="notifier", extra=()):
        """A deckpulse-notifier on this Env's Redis, logging to
        notifier-<name>.log; killed when the Env closes."""
        log = open(os.path.join(self.tmp, "notifier-%s.log" % name), "ab")
        p = subprocess.Popen([NOTIFIER, "--redis", self.redis.url(), "--data_dir",
                              self.server.data_dir, "--log_level", "info"] + list(extra),
                             stdout=log, stderr=log)
        self.children.append(p)
        return p

    def close(self):
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        rc = self.server.stop()
        eq(rc, 0, "server exit code after SIGTERM")
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def libcsv_rows(data):
    """Parses CSV with libcsv itself (ctypes), strictly: the rows as lists of
    strings (None for an empty unquoted cell). Raises on a syntax error."""
    import ctypes
    lib = ctypes.CDLL("libcsv.so.3")
    cb1_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
    cb2_t = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p)
    lib.csv_parse.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, cb1_t, cb2_t,
                              ctypes.c_void_p]
    lib.csv_parse.restype = ctypes.c_size_t
    lib.csv_fini.argtypes = [ctypes.c_void_p, cb1_t, cb2_t, ctypes.c_void_p]
    lib.csv_init.argtypes = [ctypes.c_void_p, ctypes.c_ubyte]
    lib.csv_free.argtypes = [ctypes.c_void_p]
    lib.csv_error.argtypes = [ctypes.c_void_p]
    rows, cur = [], []
    # an empty unquoted cell (a null) comes as None, a quoted "" as ""
    cb1 = cb1_t(lambda s, n, _: cur.append(ctypes.string_at(s, n).decode() if s else None))

    def row(_c, _d):
        rows.append(list(cur))
        cur.clear()

    cb2 = cb2_t(row)
    parser = ctypes.create_string_buffer(1024)
    lib.csv_init(parser, 1 | 4 | 16)  # CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL
    n = lib.csv_parse(parser, data, len(data), cb1, cb2, None)
    ok = n == len(data) and lib.csv_fini(parser, cb1, cb2, None) == 0
    err = lib.csv_error(parser)
    lib.csv_free(parser)
    if not ok:
        raise ValueError("libcsv: error %d" % err)
    return rows


def archive_text(path):
    """The text of a raw archive file: every gzip member (an erasure's
    rewrite makes the next append a new one), a file still open or cut
    short by a kill read up to its last flush, a torn last line dropped."""
    import zlib
    raw, text = open(path, "rb").read(), b""
    while raw:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text += d.decompress(raw)
        except zlib.error:
            break
        if not d.eof:
            break
        raw = d.unused_data
    return text[:text.rfind(b"\n") + 1].decode(errors="replace")


def utc_day_for(seconds):
    """Today's UTC day, for a test whose events must all be received on one
    day: if midnight UTC comes within `seconds`, waits until it has passed
    (a run across midnight would count its events on two days)."""
    now = time.time()
    left = 86400 - now % 86400
    if left < seconds:
        print("waiting %.0f s for midnight UTC" % (left + 1), flush=True)
        time.sleep(left + 1)
    return time.strftime("%Y-%m-%d", time.gmtime())


def settled(r, sessions_ended=True, shards=1):
    """The rollup group of every shard has read and acknowledged everything
    (and, unless told otherwise, every session has ended)."""
    for n in range(shards):
        try:
            g = r.cmd("XINFO", "GROUPS", "dp:{%d}:events" % n)
        except (RuntimeError, OSError):
            return False
        if not g:
            return False
        g = dict(zip(g[0][::2], g[0][1::2]))
        if g.get("lag") != 0 or g.get("pending") != 0:
            return False
        if sessions_ended and r.cmd("ZCARD", "dp:{%d}:open" % n) != 0:
            return False
    return True


def read_spool(path):
    """Parses one spool segment file independently of the server: the list
    of whole, checked records (each a list of commands), and the bytes
    after the last of them (b"" when nothing is partial)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"DPSPOOL1", data[:8]
    off, records = 8, []
    while off + 16 <= len(data):
        magic, plen, count, crc = struct.unpack_from("<4sIII", data, off)
        if magic != b"DPSR" or off + 16 + plen > len(data):
            break
        payload = data[off + 16:off + 16 + plen]
        if zlib.crc32(data[off + 4:off + 12] + payload) != crc:
            break
        cmds, p = [], 0
        while p < plen:
            (n,) = struct.unpack_from("<I", payload, p)
            cmds.append(payload[p + 4:p + 4 + n])
            p += 4 + n
        assert len(cmds) == count, (len(cmds), count)
        records.append(cmds)
        off += 16 + plen
    return records, data[off:]


def resp_args(cmd):
    """The arguments of one command in RESP (bytes), as str."""
    head = cmd[:cmd.index(b"\r\n")]
    n, out = int(head[1:]), []
    pos = len(head) + 2
    for _ in range(n):
        ln = cmd[pos:cmd.index(b"\r\n", pos)]
        k = int(ln[1:])
        pos += len(ln) + 2
        out.append(cmd[pos:pos + k].decode())
        pos += k + 2
    return out


def xadd_events(cmd):
    """The events an XADD in RESP adds (dicts of fields, as entries() gives)."""
    a = resp_args(cmd)
    assert a[0] == "XADD", a[0]
    return expand(dict(zip(a[3::2], a[4::2])))


def slow_sockets(port, n, body, timeout_s):
    """n sockets that trickle a request, a byte every 0.2 s (the header, or
    after a whole header the body) for the first 90 % of timeout_s, then
    wait. Returns, per socket, (what it received, seconds from its start to
    the first byte of the answer, seconds to the close); its start is the
    connect (header) or the header sent (body): where the server's timer
    starts."""
    head = (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 100\r\n\r\n" if body else b"POST /v1/events HTTP/1.1\r\nHost: x\r\n")
    socks = {}
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        if body:
            s.sendall(head)
        s.setblocking(False)
        socks[s] = {"start": time.time(), "data": b"", "first": None, "closed": None, "sent": 0}
    end = time.time() + timeout_s + 10
    while time.time() < end and any(v["closed"] is None for v in socks.values()):
        now = time.time()
        for s, v in socks.items():
            if v["closed"] is None and v["first"] is None and now - v["start"] < 0.9 * timeout_s \
                    and now - v["start"] >= 0.2 * v["sent"]:
                i = v["sent"] % len(head)
                try:
                    s.send(b"x" if body else head[i:i + 1])
                except OSError:
                    pass  # shows as a close without the answer
                v["sent"] += 1
        live = [s for s, v in socks.items() if v["closed"] is None]
        r, _, _ = select.select(live, [], [], 0.02)
        for s in r:
            v = socks[s]
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            t = time.time() - v["start"]
            if data:
                v["data"] += data
                if v["first"] is None:
                    v["first"] = t
            else:
                v["closed"] = t
    out = []
    for s, v in socks.items():
        out.append((v["data"], v["first"], v["closed"]))
        s.close()
    return out


def fill_disk(directory):
    """Writes directory/filler until its file system is full; returns the
    filler's path (unlink it to free the space)."""
    filler = os.path.join(directory, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        os.close(fd)
    return filler

