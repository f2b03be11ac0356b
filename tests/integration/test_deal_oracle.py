"""From content to revenue, recounted (issue 20): deals, campaigns and owners.

A seeded world (oracle.Traffic: personalised decks of several materials,
versions, both modes, duplicates, out-of-order batches) spread over three
days of client time, on two shards. Links are minted with their campaign,
owner, account and deck; the catalog holds every material. Deals name one
to three prospects, or only an account, or nothing; their outcomes
(open, then won or lost, some in the future) are posted before, between and
after the views, some twice, some in reverse order.

Then every deal field of every material (and slide version), every campaign
and every owner — list and detail, with cut slides — is compared with a
brute-force recount made here from the events and the rule of
docs/attribution.md, over several date ranges (a deal is in a range by its
`at`) and each mode: exactly equal (amounts as decimals, not floats).
Engaged and hot are checked against the hot list's temperatures of the
same range and mode (the report oracle recounts those). Last: the role
matrix of the new routes, their CSV, and an erasure."""

import json
import random
import time
from collections import defaultdict
from decimal import Decimal

from dp import ADMIN, MARKETING, SALES, Env, check, eq, finish, settled, wait_until
from oracle import Traffic, post_all

DAYMS = 86400000
SHARDS = 2
T0 = 1763800000000  # oracle.Traffic's first client time
NOW = int(time.time() * 1000)
TODAY = NOW // DAYMS
BASE = NOW - 70 * 3600000  # the traffic's client times: 70 h ago ...
SCALE = 600                # ... stretched over about three days
MODES = {"all": ("self", "live"), "self": ("self",), "live": ("live",)}


def day(d):
    return time.strftime("%Y-%m-%d", time.gmtime(d * 86400))


def auth(key, ctype=None):
    h = {"Authorization": "Bearer " + key}
    if ctype:
        h["Content-Type"] = ctype
    return h


def exact(resp):
    """JSON with its numbers as written: amounts compared as decimals."""
    return json.loads(resp.body, parse_float=Decimal)


def r3(won, lost):
    return None if won + lost == 0 else Decimal("%.3f" % (won / (won + lost)))


def micro(amount):
    return int(Decimal(amount) * 1000000)


def money(m):
    return Decimal(m) / 1000000


rnd = random.Random(20)
t = Traffic(31, sessions=320)
for sid, pres, mode, ua, events in t.sessions:
    for e in events:
        e["at"] = BASE + (e["at"] - T0) * SCALE
ats = [e["at"] for s in t.sessions for e in s[4]]
LO_AT, HI_AT = min(ats), max(ats)
check(HI_AT < NOW, "every client time is in the past")

# ---- the deals and their outcomes ----
prospects = sorted(t.prospects)
accounts = sorted({a for a in t.prospects.values() if a})
deals = {}  # id -> fields of every row, history [(stage, at, amount)]
rows = []   # every outcome row to post
for i in range(70):
    r = rnd.random()
    fields = {"deal": "deal-%d" % i, "currency": "EUR"}
    if r < 0.65:
        ps = rnd.sample(prospects, rnd.randint(1, 3))
        fields["prospects"] = ps
        acct = t.prospects[ps[0]]
        if acct:
            fields["account"] = acct
    elif r < 0.9:
        fields["account"] = rnd.choice(accounts)
    # else: neither prospects nor account (influenced by nothing)
    if rnd.random() < 0.3:
        fields["owner"] = rnd.choice(["owner-1", "owner-2", "owner-crm"])
    if rnd.random() < 0.3:
        fields["campaign"] = rnd.choice(["camp-0", "camp-2", "camp-crm"])
    close = rnd.randint(LO_AT - 3600000, HI_AT + 3600000)
    if i % 9 == 0:  # won in the days to come: days to win from the first session
        close = NOW + rnd.randint(1, 3) * DAYMS + rnd.randint(0, 3600000)
    opened = close - rnd.randint(1, 3) * DAYMS
    amount = rnd.choice(["%d" % rnd.randint(0, 90000), "%d.%02d" % (rnd.randint(0, 5000),
                         rnd.randint(0, 99)), "0.000001", "1234.567891"])
    hist = [("open", opened, "")]
    if i % 9 == 0 or rnd.random() < 0.75:
        hist.append((rnd.choice(["won", "won", "lost"]) if i % 9 else "won", close, amount))
    elif rnd.random() < 0.5:
        hist = [("open", close, amount)]
    deals[fields["deal"]] = dict(fields, history=hist)
    for stage, at, amt in hist:
        row = dict(fields, stage=stage, at=at)
        if amt:
            row["amount"] = amt
        rows.append(row)
rnd.shuffle(rows)  # a deal's close may come before its open
third = len(rows) // 3
posted = [rows[:third], rows[third:2 * third], rows[2 * third:]]
posted[2] += rnd.sample(rows, 15)  # posted twice


def current(d):
    return max(deals[d]["history"], key=lambda h: h[1])


with Env(allow_anonymous="true", access_log="false", shards=SHARDS) as env:
    srv, r = env.server, env.redis
    # the catalog: every material, every slide (its highest version)
    for m, slides in t.materials.items():
        body = {"title": "Title " + m, "slides": [{"slide": s, "title": s.upper(),
                                                   "version": max(v)} for s, v in slides]}
        eq(srv.request("PUT", "/v1/materials/" + m, json.dumps(body),
                       auth(ADMIN, "application/json")).status, 200, "catalog " + m)
    # a link per personalised deck, with its campaign, owner, account and slides
    tokens = {}
    for p, (pr, deck) in t.presentations.items():
        if not pr:
            continue
        camp, owner = t.link_extra(pr)
        link = {"presentation": p, "prospect": pr, "campaign": camp, "owner": owner,
                "slides": [{"material": m, "slide": s, "version": v} for m, s, v in deck]}
        if t.prospects[pr]:
            link["account"] = t.prospects[pr]
        resp = srv.post_json("/v1/links", link, auth(SALES))
        eq(resp.status, 201, "link " + p)
        tokens[p] = resp.json()["token"]
    c = env.collector("deals", extra=["--shards", str(SHARDS)])

    def post_outcomes(batch):
        for k in range(0, len(batch), 20):
            resp = srv.request("POST", "/v1/outcomes", json.dumps({"outcomes": batch[k:k + 20]}),
                               auth(SALES, "application/json"))
            eq(resp.status, 200, "outcomes posted")

    reqs = t.batches(tokens)
    post_outcomes(posted[0])                       # before any view
    eq(set(post_all(srv, reqs[:len(reqs) // 2])), {202}, "first half of the views")
    check(wait_until(lambda: settled(r, sessions_ended=False, shards=SHARDS), 60, 0.1),
          "first half rolled up")
    post_outcomes(posted[1])                       # between
    eq(set(post_all(srv, reqs[len(reqs) // 2:])), {202}, "second half of the views")
    post_outcomes(posted[2])                       # after, some twice
    check(wait_until(lambda: settled(r, sessions_ended=False, shards=SHARDS), 120, 0.2),
          "everything rolled up")

    # ---- the recount ----
    first = {}  # (kind, id, mode, material[, slide, version]) -> earliest view at
    for sid, pres, mode, ua, events in t.sessions:
        pr = t.presentations[pres][0]
        if not pr:
            continue
        for e in events:
            if e["type"] != "view":
                continue
            for src in (("p", pr), ("a", t.prospects[pr])):
                if not src[1]:
                    continue
                for k in (src + (mode, e["material"]),
                          src + (mode, e["material"], e["slide"], e["version"])):
                    first[k] = min(first.get(k, e["at"]), e["at"])
    by_src = defaultdict(list)
    for k, at in first.items():
        by_src[k[:2]].append((k[2], k[3:], at))

    def influences(d, modes):
        """(materials, slide versions) that influenced deal d."""
        f = deals[d]
        stage, at, _ = current(d)
        srcs = [("p", p) for p in f.get("prospects", [])] or (
            [("a", f["account"])] if f.get("account") else [])
        mats, svs = set(), set()
        for src in srcs:
            for mode, what, vat in by_src[src]:
                if mode in modes and (stage == "open" or vat < at):
                    (mats if len(what) == 1 else svs).add(what)
        return {w[0] for w in mats}, svs

    def first_seen(d):
        f = deals[d]
        keys = (["dp:{%d}:prospect:%s" % (n, p) for p in f.get("prospects", [])
                 for n in range(SHARDS)] or
                ["dp:{%d}:account:%s" % (n, f["account"]) for n in range(SHARDS)
                 if f.get("account")])
        seen = [int(v) for v in (r.cmd("HGET", k, "first_seen") for k in keys) if v]
        return min(seen) if seen else None

    fseen = {d: first_seen(d) for d in deals}
    link_of = {}  # presentation -> (prospect, campaign, owner)
    for p, (pr, deck) in t.presentations.items():
        if pr:
            link_of[p] = (pr,) + t.link_extra(pr)
    members = {"c": defaultdict(set), "o": defaultdict(set)}
    accts = {"c": defaultdict(set), "o": defaultdict(set)}
    for p, (pr, camp, owner) in link_of.items():
        for k, g in (("c", camp), ("o", owner)):
            members[k][g].add(pr)
            if t.prospects[pr]:
                accts[k][g].add(t.prospects[pr])
    named = {"c": {x["campaign"] for x in rows if x.get("campaign")},
             "o": {x["owner"] for x in rows if x.get("owner")}}

    def completed(events):
        return any(e["type"] == "view" and e["index"] == events[0]["slides"] - 1 for e in events)

    def group_expect(k, g, days, modes, infl, deals_in, temps, detail=False):
        field = "campaign" if k == "c" else "owner"
        mine = [p for p, x in link_of.items() if x[1 if k == "c" else 2] == g]
        sent = TODAY in days
        pros = {link_of[p][0] for p in mine} if sent else set()
        sess = [s for s in t.sessions if s[1] in mine and s[2] in modes] if sent else []
        active = {link_of[s[1]][0] for s in t.sessions if s[1] in link_of and s[2] in modes}
        gd = [d for d in deals_in
              if deals[d].get(field) == g
              or any(p in members[k][g] for p in deals[d].get("prospects", []))
              or (not deals[d].get("prospects") and deals[d].get("account") in accts[k][g])]
        won = [d for d in gd if current(d)[0] == "won"]
        lost = [d for d in gd if current(d)[0] == "lost"]
        wdays = sorted((current(d)[1] - fseen[d]) // DAYMS for d in won
                       if fseen[d] is not None and fseen[d] <= current(d)[1])
        nsess = len(sess)
        done = sum(completed(s[4]) for s in sess)
        exp = {field: g, "links": len(mine) if sent else 0, "prospects": len(pros),
               "opened": len(pros & active),
               "engaged": sum(temps.get(p, "cold") in ("warm", "hot") for p in pros),
               "hot": sum(temps.get(p, "cold") == "hot" for p in pros),
               "sessions": nsess, "live_sessions": sum(s[2] == "live" for s in sess),
               "self_sessions": sum(s[2] == "self" for s in sess), "completed": done,
               "completion_rate": Decimal("%.3f" % (done / nsess)) if nsess else None,
               "deals": len(gd), "won": len(won), "lost": len(lost),
               "won_amount": sum((money(micro(current(d)[2] or "0")) for d in won), Decimal(0)),
               "win_rate": r3(len(won), len(lost)),
               "days_to_win_median": wdays[(len(wdays) - 1) // 2] if wdays else None}
        if not detail:
            return exp
        mats = defaultdict(lambda: [0, 0, 0])
        for s in sess:
            for m in {e["material"] for e in s[4] if e["type"] == "view"}:
                mats[m][0] += 1
        for d in gd:
            for m in infl[d][0]:
                mats[m][1] += 1
                mats[m][2] += current(d)[0] == "won"
        exp["materials"] = {m: v for m, v in mats.items() if any(v)}
        if k == "o":
            cuts = defaultdict(int)
            for p in (mine if sent else []):
                deck = t.presentations[p][1]
                held = {(m, s) for m, s, _ in deck}
                for m in {m for m, _, _ in deck}:
                    for s, _ in t.materials[m]:
                        if (m, s) not in held:
                            cuts[(m, s)] += 1
            exp["cut_slides"] = dict(cuts)
        return exp

    RANGES = [(TODAY - 3, TODAY + 3), (TODAY - 3, TODAY - 3), (TODAY - 2, TODAY - 2),
              (TODAY - 1, TODAY - 1), (TODAY, TODAY), (TODAY - 2, TODAY),
              (TODAY + 1, TODAY + 3)]
    compared = 0
    for lo, hi in RANGES:
        days = set(range(lo, hi + 1))
        for mname, modes in MODES.items():
            q = "from=%s&to=%s&mode=%s" % (day(lo), day(hi), mname)
            what = "(%s)" % q
            deals_in = sorted(d for d in deals if current(d)[1] // DAYMS in days)
            infl = {d: influences(d, modes) for d in deals_in}
            closed = [d for d in deals_in if current(d)[0] != "open"]

            def mat_fields(m):
                hit = [d for d in deals_in if m in infl[d][0]]
                won = [d for d in hit if current(d)[0] == "won"]
                lost = [d for d in hit if current(d)[0] == "lost"]
                share = 0
                for d in won:  # each deal's share rounded to the millionth, half up
                    a, n = micro(current(d)[2] or "0"), len(infl[d][0])
                    share += (2 * a + n) // (2 * n)
                ow = sum(current(d)[0] == "won" for d in closed if d not in hit)
                ol = sum(current(d)[0] == "lost" for d in closed if d not in hit)
                return {"deals_influenced": len(hit), "won": len(won), "lost": len(lost),
                        "won_amount": sum((money(micro(current(d)[2] or "0")) for d in won),
                                          Decimal(0)),
                        "won_amount_share": money(share), "win_rate": r3(len(won), len(lost)),
                        "win_rate_without": r3(ow, ol)}

            board = exact(srv.get("/v1/materials?" + q, auth(MARKETING)))
            eq((board["deals"], board["deals_truncated"]), (len(deals_in), False),
               "deals in range " + what)
            check("viewed it before the deal closed" in board["attribution"], "rule stated")
            for x in board["materials"]:
                exp = mat_fields(x["material"])
                eq({k2: x[k2] for k2 in exp}, exp, "leaderboard %s %s" % (x["material"], what))
                compared += len(exp)
            for m in sorted(t.materials):
                x = exact(srv.get("/v1/materials/%s?%s" % (m, q), auth(MARKETING)))
                exp = mat_fields(m)
                eq({k2: x[k2] for k2 in exp}, exp, "material %s %s" % (m, what))
                for row in x["slides"]:
                    sv = (m, row["slide"], row["version"])
                    hit = [d for d in deals_in if sv in infl[d][1]]
                    won = sum(current(d)[0] == "won" for d in hit)
                    lost = sum(current(d)[0] == "lost" for d in hit)
                    eq({k2: row[k2] for k2 in ("deals_influenced", "won", "win_rate")},
                       {"deals_influenced": len(hit), "won": won, "win_rate": r3(won, lost)},
                       "slide %s %s v%d %s" % (m, row["slide"], row["version"], what))
                    compared += 3
                compared += len(exp)
            hot = srv.get("/v1/prospects?%s&limit=1000" % q, auth(SALES)).json()
            temps = {p["prospect"]: p["temperature"] for p in hot["prospects"]}
            for k, path in (("c", "campaigns"), ("o", "owners")):
                lst = exact(srv.get("/v1/%s?%s" % (path, q), auth(SALES)))
                groups = set(members[k]) | named[k]
                eq(sorted(x["campaign" if k == "c" else "owner"] for x in lst[path]),
                   sorted(groups), "%s listed %s" % (path, what))
                eq((lst["total"], lst["truncated"]), (len(groups), False), "%s total" % path)
                amounts = [x["won_amount"] for x in lst[path]]
                eq(amounts, sorted(amounts, reverse=True), "%s by won amount %s" % (path, what))
                for x in lst[path]:
                    g = x["campaign" if k == "c" else "owner"]
                    exp = group_expect(k, g, days, modes, infl, deals_in, temps)
                    eq({k2: x[k2] for k2 in exp}, exp, "%s %s %s" % (path, g, what))
                    compared += len(exp)
                for g in sorted(groups):
                    x = exact(srv.get("/v1/%s/%s?%s" % (path, g, q), auth(SALES)))
                    exp = group_expect(k, g, days, modes, infl, deals_in, temps, detail=True)
                    got = dict(x, materials={m["material"]: [m["sessions"], m["deals_influenced"],
                                                             m["won"]] for m in x["materials"]})
                    if k == "o":
                        got["cut_slides"] = {(c_["material"], c_["slide"]): c_["times"]
                                             for c_ in x["cut_slides"]}
                        times = [c_["times"] for c_ in x["cut_slides"]]
                        eq(times, sorted(times, reverse=True), "cut slides, most cut first")
                    eq({k2: got[k2] for k2 in exp}, exp, "%s/%s %s" % (path, g, what))
                    compared += len(exp)
    print("%d deals, %d outcome rows posted (%d twice), %d numbers compared" % (
        len(deals), sum(map(len, posted)), 15, compared), flush=True)
    check(any(v is not None for d, v in fseen.items() if current(d)[1] > NOW),
          "some won deals have days to win")

    # ---- the role matrix of the new routes ----
    routes = {"/v1/campaigns": (200, 200, 200), "/v1/campaigns/camp-0": (200, 200, 200),
              "/v1/owners": (200, 403, 200), "/v1/owners/owner-1": (200, 403, 200),
              "/v1/materials": (200, 200, 403), "/v1/materials/mat-0": (200, 200, 403)}
    for path, want in routes.items():
        got = tuple(srv.get(path, auth(key)).status for key in (ADMIN, MARKETING, SALES))
        eq(got, want, "roles admin, marketing, sales of " + path)
        eq(srv.get(path).status, 401, "no key: " + path)
    eq(srv.get("/v1/owners", auth(MARKETING)).json(),
       {"error": "this API key's role may not read owner reports (needs sales or admin)"},
       "the 403 says why")
    eq(srv.get("/v1/campaigns/nope", auth(SALES)).json(),
       {"error": "no such campaign: no link or deal named it"}, "unknown campaign: 404")
    eq(srv.get("/v1/owners/a%20b", auth(SALES)).status, 400, "bad owner id: 400")
    eq(srv.get("/v1/owners/owner-1?table=x", auth(SALES)).json(),
       {"error": "table: must be materials or cut_slides"}, "bad table")
    # CSV: the same list
    full = "from=%s&to=%s" % (day(TODAY - 3), day(TODAY + 3))
    js = exact(srv.get("/v1/campaigns?" + full, auth(SALES)))
    csv = srv.get("/v1/campaigns.csv?" + full, auth(SALES))
    lines = csv.body.decode().strip().split("\r\n")
    eq(lines[0], "campaign,links,prospects,opened,engaged,hot,sessions,live_sessions,"
                 "self_sessions,completed,completion_rate,deals,won,lost,won_amount,win_rate,"
                 "days_to_win_median", "CSV header")
    eq(len(lines) - 1, js["total"], "CSV rows")
    eq(csv.header("X-Total-Count"), str(js["total"]), "CSV says its total")
    first_row = lines[1].split(",")
    eq((first_row[0].strip('"'), first_row[14]),
       (js["campaigns"][0]["campaign"], str(js["campaigns"][0]["won_amount"])), "CSV = JSON")
    cuts = srv.get("/v1/owners/owner-1.csv?table=cut_slides&" + full, auth(SALES))
    eq(cuts.body.decode().split("\r\n")[0], "material,slide,times", "cut slides CSV")

    # ---- erasure: out of the deals, first views gone, totals kept ----
    victim = next(p for d in sorted(deals) for p in deals[d].get("prospects", [])
                  if any(k[:2] == ("p", p) for k in first))
    before = exact(srv.get("/v1/materials?" + full, auth(MARKETING)))
    eq(srv.request("DELETE", "/v1/prospects/" + victim, "", auth(ADMIN)).status, 200, "erased")
    eq([k for k in r.cmd("KEYS", "*") if victim in k.replace("{", ":").replace("}", ":")
        .replace("|", ":").split(":")], [], "no key names the erased prospect")
    eq([(k, m) for k in r.cmd("KEYS", "dp:{d}:lp:*") for m in r.cmd("ZRANGE", k, "0", "-1")
        if m.split("|")[1] == victim], [], "no link record names the erased prospect")
    check(any(r.cmd("ZCARD", k) for k in r.cmd("KEYS", "dp:{d}:lp:*")), "others' records stay")
    for d in deals:
        check(victim not in (r.cmd("HGET", "dp:{d}:deal:" + d, "prospects") or "").split(";"),
              "out of deal " + d)
    after = exact(srv.get("/v1/materials?" + full, auth(MARKETING)))
    eq([(x["material"], x["views"], x["sessions"]) for x in after["materials"]],
       [(x["material"], x["views"], x["sessions"]) for x in before["materials"]],
       "anonymous totals kept")
    eq(c.poll(), None, "the collector is still running")

finish()
