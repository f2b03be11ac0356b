"""Abuse controls on ingest (RELIABILITY.md): crawlers, link previews, mail
scanners and prefetches are answered but not stored, counted by reason;
token buckets per client address and per link token answer 429 with
Retry-After, counted; what is let through is stored."""

import json
import time

from dp import Env, batch, check, eq, finish, make_request, view

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0 Safari/537.36")


def metric(srv, line):
    return line in srv.get("/metrics").body.decode().splitlines()


with Env(drop_bots="true", allow_anonymous="true", rate_ip_per_s="0", rate_link_per_s="0") as env:
    srv, r = env.server, env.redis
    token = srv.mint("deck-a", "jane")
    BOT = {"accepted": 0, "dropped": "bot",
           "message": "not stored: the User-Agent is a crawler's, a link preview's, a mail "
                      "scanner's or a headless browser's, or a script's without a link token "
                      "(drop_bots)"}
    PREFETCH = {"accepted": 0, "dropped": "prefetch",
                "message": "not stored: a browser prefetch (drop_bots)"}
    # automata that open links by themselves are dropped, token or not;
    # scripts (curl, HTTP libraries, no User-Agent) only without a token
    for ua, extra, tok, want in (
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}, True, BOT),
            ("Barracuda Sentinel (EE)", {}, True, BOT),
            ("Mozilla/4.0 (compatible; ms-office; MSOffice 16)", {}, True, BOT),
            ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0", {}, True, BOT),
            (None, {}, False, BOT),
            ("curl/7.88.1", {}, False, BOT),
            ("python-requests/2.31", {}, False, BOT),
            (CHROME, {"Sec-Purpose": "prefetch"}, True, PREFETCH)):
        h = dict(extra)
        if ua:
            h["User-Agent"] = ua
        body = batch("s-%s" % want["dropped"], [view(1)], token if tok else None,
                     presentation=None if tok else "public-deck")
        resp = srv.post_json("/v1/events", body, h)
        eq((resp.status, resp.json()), (202, want), "%s: %s" % (want["dropped"], ua))
    px = srv.get("/v1/pixel.gif?token=" + token, {"User-Agent": "Mimecast URL protect"})
    eq((px.status, px.header("content-type")), (200, "image/gif"), "a scanner gets its pixel")
    px = srv.get("/v1/pixel.gif?token=" + token, {"User-Agent": "curl/7.88.1"})
    eq((px.status, px.header("content-type")), (200, "image/gif"), "so does a script")
    eq(r.cmd("XLEN", "dp:{0}:events"), 0, "none of them stored")
    check(metric(srv, 'dp_batches_rejected_total{reason="bot"} 9'), "bots counted")
    check(metric(srv, 'dp_batches_rejected_total{reason="prefetch"} 1'), "prefetch counted")
    # a script with a link token is someone trying deckpulse (the README's example)
    for ua in ("curl/7.88.1", None):
        h = {"User-Agent": ua} if ua else {}
        eq(srv.post_json("/v1/events", batch("script-%d" % len(h), [view(1)], token), h).json(),
           {"accepted": 1}, "a script with a token is counted (%s)" % ua)
    eq(srv.post_json("/v1/events", batch("person", [view(1)], token), {"User-Agent": CHROME}).json(),
       {"accepted": 1}, "a person is counted")
    eq(r.cmd("XLEN", "dp:{0}:events"), 3, "stored")
    # one keep-alive connection: a person's user agent, then a bot's, then
    # the person's again (the screen's verdict is kept per connection, per
    # user agent)
    c = srv.conn()
    for i, (ua, want) in enumerate(((CHROME, {"accepted": 1}),
                                    ("Barracuda Sentinel (EE)", BOT),
                                    (CHROME, {"accepted": 1}),
                                    ("Mozilla/5.0 (compatible; bingbot/2.0)", BOT))):
        body = json.dumps(batch("ka", [view(i + 1)], token)).encode()
        h = {"Content-Type": "application/json"}
        if ua:
            h["User-Agent"] = ua
        c.send(make_request("POST", "/v1/events", body, h))
        eq(c.response().json(), want, "keep-alive request %d (%s)" % (i + 1, ua))
    c.close()
    eq(r.cmd("XLEN", "dp:{0}:events"), 5, "the person's two stored")
    check(metric(srv, 'dp_batches_rejected_total{reason="bot"} 11'), "both bots counted")

# per client address: a burst of 10, then 2 a second
with Env(allow_anonymous="true", rate_ip_per_s="2", rate_ip_burst="10", rate_link_per_s="0",
         drop_bots="false") as env:
    srv = env.server
    got = [srv.post_json("/v1/events", batch("a%d" % i, [view(1)], presentation="pub")).status
           for i in range(14)]
    eq(got, [202] * 10 + [429] * 4, "burst of 10 from one address, then 429")
    resp = srv.post_json("/v1/events", batch("late", [view(1)], presentation="pub"))
    eq((resp.status, resp.header("retry-after")), (429, "1"), "Retry-After")
    eq(resp.json()["error"], "too many requests from this address; slow down", "the message")
    time.sleep(1.1)
    eq(srv.post_json("/v1/events", batch("later", [view(1)], presentation="pub")).status, 202,
       "tokens come back with time")
    check(metric(srv, 'dp_batches_rejected_total{reason="rate_ip"} 5'), "counted")
    eq(env.redis.cmd("XLEN", "dp:{0}:events"), 11, "what was let through is stored")

# per link token: one link's burst does not stop another link
with Env(rate_link_per_s="1", rate_link_burst="3", rate_ip_per_s="0", drop_bots="false") as env:
    srv = env.server
    a, b = srv.mint("deck-a", "ann"), srv.mint("deck-b", "bob")
    got = [srv.post_json("/v1/events", batch("la", [view(i + 1)], a)).status for i in range(5)]
    eq(got, [202, 202, 202, 429, 429], "a link's burst of 3")
    eq(srv.post_json("/v1/events", batch("lb", [view(1)], b)).status, 202, "another link goes on")
    check(metric(srv, 'dp_batches_rejected_total{reason="rate_link"} 2'), "counted")

# events, not only requests: a link's burst of 1000 events is two full
# batches, whatever the batch count allows; an address's bucket likewise
with Env(rate_link_events_per_s="1", rate_link_events_burst="1000", drop_bots="false") as env:
    srv, r = env.server, env.redis
    a, b = srv.mint("deck-a", "ann"), srv.mint("deck-b", "bob")
    full = lambda sid, tok: batch(sid, [view(i + 1) for i in range(500)], tok)
    got = [srv.post_json("/v1/events", full("ea-%d" % i, a)) for i in range(3)]
    eq([x.status for x in got], [202, 202, 429], "a link's 1000 events, then 429")
    eq((got[2].json()["error"], got[2].header("retry-after")),
       ("too many events for this link; slow down", "500"), "said, with the wait")
    eq(srv.post_json("/v1/events", full("eb", b)).status, 202, "another link goes on")
    check(metric(srv, 'dp_batches_rejected_total{reason="rate_link"} 1'), "counted")
    check(metric(srv, 'dp_events_rejected_total{reason="rate_link"} 500'), "its events counted")
    eq(r.cmd("XLEN", "dp:{0}:events"), 3, "what was let through is stored")
with Env(allow_anonymous="true", rate_ip_events_per_s="1", rate_ip_events_burst="600",
         drop_bots="false") as env:
    srv = env.server
    got = [srv.post_json("/v1/events", batch("ip-%d" % i, [view(k + 1) for k in range(250)],
                                             presentation="pub")).status for i in range(3)]
    eq(got, [202, 202, 429], "an address's 600 events, then 429")
    eq(srv.post_json("/v1/events", batch("ip-x", [view(1)], presentation="pub"),
                     source="127.0.0.2").status, 202, "another address goes on")

finish()
