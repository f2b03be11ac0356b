"""Reading GET /v1/live (Server-Sent Events) in the tests: a stream and its
"viewers" events."""

import json
import socket
import time


class Stream:
    def __init__(self, port, path, headers=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        h = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, h)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}

    def next_event(self, timeout=10):
        """The next "viewers" event's data, or None."""
        end = time.time() + timeout
        while time.time() < end:
            while b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                fields = dict(l.split(": ", 1) for l in block.decode().split("\n")
                              if ": " in l and not l.startswith(":"))
                if fields.get("event") == "viewers":
                    return json.loads(fields["data"])
            self.s.settimeout(max(0.05, end - time.time()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        return None

    def close(self):
        self.s.close()


def wait_for(stream, pred, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        ev = stream.next_event(end - time.time())
        if ev is None:
            return None
        if pred(ev):
            return ev
    return None
