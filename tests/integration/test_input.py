"""Hostile bodies (RELIABILITY.md rows 18-22): each gets its exact error
and nothing reaches Redis. Row 23: implausible values get their stated
rule (clamped and counted, or refused), and the collector does not let a
view past the announced slides complete a session."""

import gzip
import json
import time

from dp import Env, batch, eq, check, finish, forge_token, view

with Env(max_body_bytes=262144, max_decompressed_bytes=524288, max_json_depth=16) as env:
    s, r = env.server, env.redis
    token = s.mint("deck", "pat")
    tok = json.dumps(token)

    def post(body, headers=None):
        h = {"Content-Type": "text/plain"}
        h.update(headers or {})
        return s.request("POST", "/v1/events", body, h)

    good_event = '{"seq":1,"type":"view","at":1763800000000,"material":"m","slide":"s","index":0}'
    cases = [
        # row 18: malformed JSON, wrong types, NaN, 1e400, trailing garbage
        ('{"token":%s,"session":"s1","events":[' % tok,
         "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"s1","events":[%s]} garbage' % (tok, good_event),
         "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"s1","events":[{"seq":NaN,"type":"close","at":1763800000000}]}'
         % tok, "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"s1","events":[{"seq":1e400,"type":"close","at":1763800000000}]}'
         % tok, "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"s1","events":[{"seq":"1","type":"close","at":1763800000000}]}'
         % tok, "events[0].seq: must be an integer between 0 and 9007199254740991"),
        ('{"token":%s,"session":"s1","events":[%s,{"seq":2,"type":"dwell","at":1763800000000,'
         '"material":"m","slide":"s","ms":1.5}]}' % (tok, good_event),
         "events[1].ms: must be an integer between 0 and 86400000"),
        ('{"token":%s,"session":17,"events":[%s]}' % (tok, good_event),
         "session: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
        # row 19: invalid UTF-8, lone surrogates, NUL bytes in ids, characters outside ids
        (b'{"token":' + tok.encode() + b',"session":"s\xff\xfe","events":[' +
         good_event.encode() + b']}', "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"\\ud800x","events":[%s]}' % (tok, good_event),
         "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"a\\u0000b","events":[%s]}' % (tok, good_event),
         "body: invalid JSON at line 1 column"),
        ('{"token":%s,"session":"s1","events":[{"seq":1,"type":"view","at":1763800000000,'
         '"material":"<script>","slide":"s","index":0}]}' % tok,
         "events[0].material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
        ('{"token":%s,"session":"s1","events":[{"seq":1,"type":"view","at":1763800000000,'
         '"material":"m","slide":"=HYPERLINK(1)","index":0}]}' % tok,
         "events[0].slide: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
        # row 20: nested 100 000 deep
        ('{"token":%s,"session":"s1","events":%s%s}' % (tok, "[" * 100000, "]" * 100000),
         "body: JSON nested deeper than max_json_depth (16)"),
    ]
    for i, (body, prefix) in enumerate(cases):
        resp = post(body)
        eq(resp.status, 400, "case %d status" % i)
        msg = resp.json().get("error", "")
        check(msg.startswith(prefix), "case %d: error %r starts with %r" % (i, msg, prefix))

    # row 21: gzip bomb, bad gzip CRC, not gzip at all
    bomb = gzip.compress(b"0" * (10 * 1024 * 1024), 9)
    check(len(bomb) < 262144, "bomb fits under max_body_bytes (%d bytes)" % len(bomb))
    resp = post(bomb, {"Content-Encoding": "gzip"})
    eq((resp.status, resp.json()),
       (413, {"error": "body: inflates to more than max_decompressed_bytes (524288)"}),
       "gzip bomb -> 413")
    good = gzip.compress(json.dumps(batch("gz", [view(1)], token)).encode())
    bad_crc = good[:-8] + bytes([good[-8] ^ 0xFF]) + good[-7:]
    resp = post(bad_crc, {"Content-Encoding": "gzip"})
    eq(resp.status, 400, "bad gzip CRC -> 400")
    check(resp.json()["error"].startswith("body: invalid gzip data"), "bad CRC message")
    resp = post(b"{not gzip}", {"Content-Encoding": "gzip"})
    eq(resp.status, 400, "not gzip -> 400")
    resp = post(good[:-4], {"Content-Encoding": "gzip"})
    eq((resp.status, resp.json()), (400, {"error": "body: truncated gzip stream"}),
       "truncated gzip -> 400")

    # row 22: forged, expired, another presentation's token
    for t, pres, msg in [
            (forge_token("deck", "pat", int(time.time() * 1000) + 10**7, secret="f" * 40), None,
             "token: invalid"),
            (forge_token("deck", "pat", int(time.time() * 1000) - 1000), None, "token: expired"),
            (s.mint("other-deck", "pat"), "deck", "token: issued for another presentation")]:
        resp = s.post_json("/v1/events", batch("s22", [view(1)], t, presentation=pres))
        eq((resp.status, resp.json()), (401, {"error": msg}), "row 22: " + msg)

    eq(r.cmd("XLEN", "dp:{0}:events"), 0, "nothing invalid reached Redis")
    # and the server is fine afterwards
    resp = s.post_json("/v1/events", batch("ok", [view(1)], token))
    eq((resp.status, resp.json()), (202, {"accepted": 1}), "valid batch after the hostile ones")
    eq(r.cmd("XLEN", "dp:{0}:events"), 1, "one event")

    # row 23: out-of-range slide index, dwell longer than a session, far future
    now = int(time.time() * 1000)
    resp = s.post_json("/v1/events", batch("s23", [
        {"seq": 1, "type": "open", "at": now, "slides": 5},
        {"seq": 2, "type": "view", "at": now, "material": "m", "slide": "x", "index": 7}], token))
    eq((resp.status, resp.json()), (400, {"error": "events[1].index: 7 is past the 5 slides the "
                                                   "open event announced"}),
       "row 23: a view past the slides of the batch's own open event")
    eq(r.cmd("XLEN", "dp:{0}:events"), 1, "nothing of it stored")
    resp = s.post_json("/v1/events", batch("s23", [
        {"seq": 3, "type": "dwell", "at": now, "material": "m", "slide": "x", "ms": 50000000},
        {"seq": 4, "type": "view", "at": now + 30 * 86400000, "material": "m", "slide": "x",
         "index": 0}], token))
    eq((resp.status, resp.json()), (202, {"accepted": 2}), "row 23: clamped, accepted")
    stored = {e["seq"]: e for e in r.entries()}
    eq(stored["3"]["ms"], "3600000", "a 14 h dwell is clamped to max_dwell_ms")
    check(abs(int(stored["4"]["at"]) - int(stored["4"]["received"])) == 0,
          "a time 30 days ahead is clamped to the receive time")
    m = s.get("/metrics").body.decode()
    check('dp_events_clamped_total{field="at"} 1' in m, "clamped time counted")
    check('dp_events_clamped_total{field="ms"} 1' in m, "clamped dwell counted")

finish()
