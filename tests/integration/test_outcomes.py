"""POST /v1/outcomes (issue 20, first part): deal outcomes from the CRM, JSON
or CSV, all or nothing with errors naming row and field, idempotent ((deal,
stage, at) stored once), a deal's stage the one with the latest `at`
whatever the order of posting, its history kept; roles; an erasure takes the
prospect out of its deals. And POST /v1/links keeps what a personalised deck
contains (its slides, in order), so what was left out can be counted."""

import json
import math
import time

from dp import (ADMIN, MARKETING, SALES, Env, check, eq, finish, settled, utc_day_for, view,
                wait_until)

T = 1763800000000


def auth(key, ctype="application/json"):
    return {"Authorization": "Bearer " + key, "Content-Type": ctype}


with Env() as env:
    srv, r = env.server, env.redis

    def post(body, key=SALES, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return srv.request("POST", "/v1/outcomes", data, auth(key, ctype))

    first = {"outcomes": [
        {"deal": "d1", "account": "acme", "prospects": ["jane", "bob"], "stage": "open",
         "at": T, "owner": "olga", "campaign": "spring"},
        {"deal": "d1", "account": "acme", "prospects": ["jane", "bob"], "stage": "won",
         "amount": "1200.50", "currency": "EUR", "at": T + 86400000, "owner": "olga",
         "campaign": "spring"},
        {"deal": "d2", "account": "globex", "stage": "lost", "amount": 300, "at": T + 1000}]}
    resp = post(first)
    eq((resp.status, resp.json()), (200, {"stored": 3, "new": 3}), "stored")
    deal = lambda d: dict(zip(*[iter(r.cmd("HGETALL", "dp:{d}:deal:" + d))] * 2))
    eq({k: deal("d1")[k] for k in ("stage", "amount", "currency", "account", "prospects", "at")},
       {"stage": "won", "amount": "1200.50", "currency": "EUR", "account": "acme",
        "prospects": "jane;bob", "at": str(T + 86400000)}, "d1 is won, with its amount")
    eq(deal("d2")["amount"], "300", "a number amount")
    eq(post(first).json(), {"stored": 3, "new": 0}, "posted again: nothing new")
    eq(r.cmd("ZRANGE", "dp:{d}:dealh:d1", "0", "-1"), ["open|%d" % T, "won|%d" % (T + 86400000)],
       "d1's history: each stage change once")
    # the stage is the latest at, whatever the order of posting
    eq(post({"outcomes": [{"deal": "d3", "stage": "won", "at": T + 5000, "amount": 1}]}).status,
       200, "won first")
    eq(post({"outcomes": [{"deal": "d3", "stage": "open", "at": T + 4000}]}).status, 200,
       "then an earlier open")
    eq(deal("d3")["stage"], "won", "the latest at wins, not the latest post")
    # CSV
    csv = (b"deal,account,prospects,stage,amount,currency,at,owner,campaign\r\n"
           b"d4,initech,peter;milton,open,,,%d,pete,\r\n"
           b"d4,initech,peter;milton,lost,50.5,USD,%d,pete,fall\r\n" % (T, T + 10))
    resp = post(csv, ctype="text/csv")
    eq((resp.status, resp.json()), (200, {"stored": 2, "new": 2}), "CSV stored")
    eq((deal("d4")["stage"], deal("d4")["prospects"], deal("d4")["amount"]),
       ("lost", "peter;milton", "50.5"), "CSV deal")
    eq(sorted(r.cmd("SMEMBERS", "dp:{d}:pdeals:peter")), ["d4"], "the prospect's deals")
    eq(sorted(r.cmd("SMEMBERS", "dp:{d}:odeals:pete")), ["d4"], "the owner's deals")

    # every bad field: its exact error, and nothing stored
    before = r.cmd("ZCARD", "dp:{d}:deals")
    ok = {"deal": "dx", "stage": "open", "at": T}
    for bad, msg in (
            ({"stage": "open", "at": T}, "outcomes[1].deal: required"),
            (dict(ok, stage="maybe"), "outcomes[1].stage: must be open, won or lost"),
            (dict(ok, at="soon"), "outcomes[1].at: must be epoch milliseconds"),
            (dict(ok, at=5), "outcomes[1].at: must be epoch milliseconds between 2000-01-01 and "
                             "2100-01-01"),
            (dict(ok, amount=-1), "outcomes[1].amount: must be a decimal >= 0 (at most 15 digits, "
                                  "6 decimals)"),
            (dict(ok, amount="1e3"), "outcomes[1].amount: must be a decimal >= 0 (at most 15 "
                                     "digits, 6 decimals)"),
            (dict(ok, currency="eur"), "outcomes[1].currency: must be three capital letters "
                                       "(ISO 4217)"),
            (dict(ok, prospects="jane"), "outcomes[1].prospects: must be an array of prospect ids"),
            (dict(ok, prospects=["a b"]), "outcomes[1].prospects: each must be 1-64 characters of "
                                          "A-Z a-z 0-9 . _ : -"),
            (dict(ok, account="a|b"), "outcomes[1].account: must be 1-64 characters of A-Z a-z "
                                      "0-9 . _ : -"),
            (dict(ok, colour="red"), "outcomes[1].colour: unknown field")):
        resp = post({"outcomes": [ok, bad]})
        eq((resp.status, resp.json()), (400, {"error": msg}), msg)
    eq(post({"outcomes": []}).json(), {"error": "outcomes: must be a non-empty array"}, "empty")
    head = b"deal,account,prospects,stage,amount,currency,at,owner,campaign\r\n"
    for body, msg in (
            (b"deal,stage,at\r\nd1,open,1\r\n", "line 1: header must be deal,account,prospects,"
                                                "stage,amount,currency,at,owner,campaign"),
            (head + b"dx,,,open,,,%d,,\r\ndy,,,shut,,,%d,,\r\n" % (T, T),
             "line 3: stage: must be open, won or lost"),
            (head + b"dx,,,open,,,%d,,\r\ndy,,,open,,\r\n" % T, "line 3: expected 9 columns, got 6"),
            (head, "body: no outcome rows")):
        resp = post(body, ctype="text/csv")
        eq((resp.status, resp.json()), (400, {"error": msg}), msg)
    eq(r.cmd("ZCARD", "dp:{d}:deals"), before, "no bad request stored anything")
    eq(r.cmd("EXISTS", "dp:{d}:deal:dx"), 0, "not even its good rows")

    # roles
    eq(post(first, key=MARKETING).json(),
       {"error": "this API key's role may not post deal outcomes (needs sales or admin)"},
       "marketing may not")
    eq(srv.request("POST", "/v1/outcomes", b"{}", {"Content-Type": "application/json"}).status,
       401, "no key: 401")
    eq(post(first, key=ADMIN).status, 200, "admin may")

    # an erasure takes the prospect out of its deals, the deals stay
    eq(srv.request("DELETE", "/v1/prospects/peter", b"", {"Authorization": "Bearer " + ADMIN}
                   ).status, 200, "erased")
    eq((deal("d4")["prospects"], deal("d4")["stage"]), ("milton", "lost"), "peter left d4")
    eq(r.cmd("EXISTS", "dp:{d}:pdeals:peter"), 0, "his deal list is gone")

    # a link says what its deck holds
    links = lambda body: srv.post_json("/v1/links", body, {"Authorization": "Bearer " + SALES})
    slides = [{"material": "q3", "slide": "intro"}, {"material": "q3", "slide": "roi", "version": 2},
              {"material": "case", "slide": "acme"}]
    resp = links({"presentation": "deck-jane", "prospect": "jane", "slides": slides})
    eq(resp.status, 201, "a link with its slides")
    eq(json.loads(r.cmd("GET", "dp:{c}:deck:deck-jane")),
       [{"material": "q3", "slide": "intro", "version": 1},
        {"material": "q3", "slide": "roi", "version": 2},
        {"material": "case", "slide": "acme", "version": 1}], "kept in order, versions filled in")
    eq(links({"presentation": "deck-bob", "prospect": "bob"}).status, 201, "slides are optional")
    eq(r.cmd("EXISTS", "dp:{c}:deck:deck-bob"), 0, "none kept then")
    for bad, msg in (
            ([], "slides: must be an array of 1 to 500 slides"),
            ([{"material": "q3"}], "slides[0].slide: required"),
            ([{"material": "q3", "slide": "a"}, {"material": "q 3", "slide": "b"}],
             "slides[1].material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
            ([{"material": "q3", "slide": "a", "version": 0}],
             "slides[0].version: must be an integer between 1 and 1000000"),
            ([{"material": "q3", "slide": "a", "title": "x"}], "slides[0].title: unknown field")):
        resp = links({"presentation": "deck-x", "prospect": "x", "slides": bad})
        eq((resp.status, resp.json()), (400, {"error": msg}), msg)
    eq(r.cmd("EXISTS", "dp:{c}:deck:deck-x"), 0, "nothing kept from a refused link")

    # 10 000 outcomes in one CSV
    rows = b"".join(b"bulk-%05d,acct-%d,p-%d,won,%d.25,EUR,%d,o-%d,c-%d\r\n"
                    % (i, i % 50, i, i, T + i, i % 3, i % 2) for i in range(10000))
    t0 = time.time()
    resp = post(head + rows, ctype="text/csv")
    print("10 000 outcomes (%d bytes of CSV) stored in %.2f s" % (len(head + rows), time.time() - t0))
    eq((resp.status, resp.json()), (200, {"stored": 10000, "new": 10000}), "10 000 in one request")
    eq(r.cmd("SCARD", "dp:{d}:adeals:acct-7"), 200, "by account")

# Slide versions compared with confidence: 40 sessions saw slide s in
# version 1 and 30 of them left there; 40 saw version 2 and 10 left there;
# 12 saw slide u in each of two versions (too few to tell).
with Env() as env:
    srv, r = env.server, env.redis
    env.collector("versions")
    link = srv.mint("deck", "pat")
    n = 0
    for version, leave, total in ((1, 30, 40), (2, 10, 40)):
        for k in range(total):
            events = [view(1, material="m", slide="s", version=version, index=0)]
            if k >= leave:
                events.append(view(2, material="m", slide="t", index=1))
            events.append({"seq": 3, "type": "close", "at": 1763800000100})
            n += 1
            eq(srv.post_json("/v1/events", {"session": "v-%d" % n, "token": link,
                                            "events": events}).status, 202, "session")
    for version in (1, 2):
        for k in range(12):
            n += 1
            srv.post_json("/v1/events", {"session": "u-%d" % n, "token": link, "events": [
                view(1, material="m", slide="u", version=version, index=0),
                {"seq": 2, "type": "close", "at": 1763800000100}]})
    check(wait_until(lambda: settled(r), 30, 0.1), "rolled up")
    DAY = utc_day_for(120)
    m = srv.get("/v1/materials/m?from=%s&to=%s" % (DAY, DAY),
                {"Authorization": "Bearer " + MARKETING}).json()
    v = {x["slide"]: x for x in m["versions"]}
    # the test's own arithmetic: pooled 40/80, se = sqrt(.25 * (1/40 + 1/40))
    z = (0.75 - 0.25) / math.sqrt(0.5 * 0.5 * (2 / 40))
    p = math.erfc(z / math.sqrt(2))
    eq({k: v["s"][k] for k in ("a", "b", "sessions_a", "sessions_b", "drop_off_a", "drop_off_b",
                                "significant")},
       {"a": 1, "b": 2, "sessions_a": 40, "sessions_b": 40, "drop_off_a": 0.75, "drop_off_b": 0.25,
        "significant": True}, "slide s: v1 against v2")
    check(abs(v["s"]["p_value"] - p) < 1e-6, "p = %r, want %r" % (v["s"]["p_value"], p))
    eq(v["s"]["summary"], "v2 keeps more viewers than v1 (p = %.2g)" % p, "said plainly")

    def wilson(x, n, zz=1.959963984540054):
        c = (x / n + zz * zz / (2 * n)) / (1 + zz * zz / n)
        h = zz * math.sqrt(x / n * (1 - x / n) / n + zz * zz / (4 * n * n)) / (1 + zz * zz / n)
        return [round(c - h, 4), round(c + h, 4)]
    eq((v["s"]["drop_off_a_ci"], v["s"]["drop_off_b_ci"]), (wilson(30, 40), wilson(10, 40)),
       "Wilson 95 % intervals")
    eq((v["u"]["significant"], v["u"]["summary"]), (False, "not enough sessions yet"),
       "12 sessions a version: not enough")

finish()
