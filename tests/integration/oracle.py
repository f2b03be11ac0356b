"""A seeded generator of realistic engagement traffic and a brute-force
recount of every aggregate from what was sent, for the collector's oracle
tests. Standard library only."""

import json
import math
import random
import time
from collections import defaultdict

from dp import Conn, make_request

BOUNDS = [250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000,
          20000, 25000, 30000, 40000, 50000, 60000, 75000, 90000, 120000, 150000, 180000,
          240000, 300000, 420000, 600000, 900000, 1200000, 1800000, 3600000]


def bucket(ms):
    i = 0
    while i < len(BOUNDS) and ms > BOUNDS[i]:
        i += 1
    return i


def r3(x):
    """A rate as the reports round it: three decimals."""
    return None if x is None else round(x + 1e-12, 3)


class Rate:
    """A rate as the reports show it, three decimals: equal to a number
    within half a thousandth of the true ratio (a tie such as 0.0625 may
    round either way in binary floating point)."""

    def __init__(self, num, den):
        self.x = num / den

    def __eq__(self, other):
        return isinstance(other, (int, float)) and abs(other - self.x) <= 0.0005 + 1e-9

    def __repr__(self):
        return "%.4f to three decimals" % self.x


def rate(num, den):
    return Rate(num, den) if den else None


class Within:
    """A histogram quantile is right when it lies in [lo, hi], the bounds of
    the dwell bucket (include/deckpulse/keys.h) that holds the true value:
    compares equal to any number there."""

    def __init__(self, true):
        i = bucket(true)
        self.true = true
        self.lo = 0 if i == 0 else BOUNDS[i - 1]
        self.hi = BOUNDS[i] if i < len(BOUNDS) else 2 * BOUNDS[-1]

    @classmethod
    def of(cls, ms, q):
        """The q-quantile of the values by its definition (nearest rank: the
        smallest value with at least q of them at or below it); None for
        no values."""
        if not ms:
            return None
        v = sorted(ms)
        return cls(v[max(0, math.ceil(q * len(v) - 1e-9) - 1)])

    def __eq__(self, other):
        return isinstance(other, (int, float)) and self.lo <= other <= self.hi

    def __repr__(self):
        return "a value in [%d, %d] (the bucket of the true %d)" % (self.lo, self.hi, self.true)


class Traffic:
    """Sessions over several materials with personalised slide orders, two
    versions of some slides, both modes, actions, anonymous viewers, some
    forwarded links, sessions closed and sessions left open."""

    def __init__(self, seed, sessions=1500, materials=4):
        rnd = random.Random(seed)
        self.rnd = rnd
        self.materials = {}
        for m in range(materials):
            mid = "mat-%d" % m
            slides = []
            for k in range(rnd.randint(8, 16)):
                sid = "s%02d" % k if rnd.random() < 0.8 else "shared-%d" % (k % 3)
                if sid in [x[0] for x in slides]:
                    sid = "s%02d" % k
                versions = [1, 2] if rnd.random() < 0.3 else [1]
                slides.append((sid, versions))
            self.materials[mid] = slides
        self.accounts = ["acct-%d" % i for i in range(12)]
        self.prospects = {}
        for i in range(50):
            self.prospects["pr-%d" % i] = rnd.choice(self.accounts + [""])
        # presentations: a prospect's personalised deck (subset and order)
        self.presentations = {}
        for i in range(80):
            pr = rnd.choice(list(self.prospects))
            mats = rnd.sample(list(self.materials), rnd.randint(1, 2))
            deck = []
            for m in mats:
                chosen = rnd.sample(self.materials[m], rnd.randint(3, len(self.materials[m])))
                deck += [(m, s, rnd.choice(v)) for s, v in chosen]
            rnd.shuffle(deck)
            self.presentations["pres-%d" % i] = (pr, deck)
        self.presentations["public"] = (None, [(m, s, v[0]) for m in list(self.materials)[:1]
                                               for s, v in self.materials[m]])
        self.sessions = []  # (sid, presentation, mode, ua, events)
        for n in range(sessions):
            pres = rnd.choice(list(self.presentations)) if rnd.random() < 0.9 else "public"
            pr, deck = self.presentations[pres]
            mode = "live" if rnd.random() < 0.2 else "self"
            if pr is None:
                ua = "anon-%d" % rnd.randint(0, 200)
            elif rnd.random() < 0.05:
                ua = "forwarded-%d" % n
            else:
                ua = "ua-%s" % pr
            sid = "sess-%d-%d" % (seed, n)
            events = []
            seq = 0
            t = 1763800000000 + n * 1000

            def ev(**kw):
                nonlocal seq, t
                seq += 1
                t += rnd.randint(10, 5000)
                e = {"seq": seq, "at": t}
                e.update(kw)
                events.append(e)

            ev(type="open", slides=len(deck))
            pos = 0
            for _ in range(rnd.randint(1, len(deck) + 3)):
                m, s, v = deck[pos]
                ev(type="view", material=m, slide=s, version=v, index=pos)
                if rnd.random() < 0.8:
                    ev(type="dwell", material=m, slide=s, version=v,
                       ms=rnd.choice([rnd.randint(0, 3000), rnd.randint(0, 90000),
                                      rnd.randint(0, 2000000)]))
                if rnd.random() < 0.08:
                    ev(type="action", material=m, slide=s, version=v,
                       name=rnd.choice(["book-demo", "download", "pricing-click"]))
                r = rnd.random()
                pos = min(len(deck) - 1, pos + 1) if r < 0.7 else (
                    rnd.randrange(len(deck)) if r < 0.9 else max(0, pos - 1))
            if rnd.random() < 0.7:
                ev(type="close")
            self.sessions.append((sid, pres, mode, ua, events))

    def link_extra(self, pr):
        """(campaign, owner) of every link of this prospect."""
        n = int(pr.split("-")[1])
        return ("camp-%d" % (n % 3), "owner-%d" % (n % 4))

    def mint_links(self, server):
        """A link token per personalised presentation, with its prospect's
        account, campaign and owner: {presentation: token}."""
        tokens = {}
        for p, (pr, _) in self.presentations.items():
            if pr:
                campaign, owner = self.link_extra(pr)
                extra = {"campaign": campaign, "owner": owner}
                if self.prospects[pr]:
                    extra["account"] = self.prospects[pr]
                tokens[p] = server.mint(p, pr, **extra)
        return tokens

    def batches(self, tokens, dup_rate=0.1):
        """(body, user_agent) requests: each session's events cut into
        batches, some sent twice, all shuffled (so out of order)."""
        rnd = self.rnd
        out = []
        for sid, pres, mode, ua, events in self.sessions:
            i = 0
            while i < len(events):
                k = rnd.randint(1, 8)
                chunk = events[i:i + k]
                i += k
                wire = []
                for e in chunk:
                    e = dict(e)
                    if e.get("version") == 1 and rnd.random() < 0.5:
                        del e["version"]  # the beacon may leave the default out
                    wire.append(e)
                body = {"session": sid, "mode": mode, "events": wire}
                if pres == "public":
                    body["presentation"] = "public"
                else:
                    body["token"] = tokens[pres]
                req = (json.dumps(body), ua)
                out.append(req)
                if rnd.random() < dup_rate:
                    out.append(req)
        rnd.shuffle(out)
        return out

    # ---- brute-force recount of every aggregate ----
    def recount(self, day):
        exp = {"slides": defaultdict(lambda: defaultdict(int)),   # (m, mode) -> field -> n
               "sv": defaultdict(set),                              # (m, s, v, mode) -> who
               "mat": defaultdict(lambda: defaultdict(int)),      # (m, mode)
               "mv": defaultdict(set),
               "prospect": defaultdict(lambda: defaultdict(int)),
               "pseen": defaultdict(set),
               "ptl": defaultdict(list),
               "pdays": defaultdict(set),
               "ppres": defaultdict(set),
               "aprospects": defaultdict(set),
               "pres": defaultdict(lambda: defaultdict(int)),
               "pv": defaultdict(set),
               "links": {pr: self.link_extra(pr) for pr in self.prospects},
               "materials": set()}
        for sid, pres, mode, ua, events in self.sessions:
            pr, deck = self.presentations[pres]
            acct = self.prospects.get(pr, "") if pr else ""
            who = pr if pr else ("net:" + anon_source(ua))
            slides = events[0]["slides"]
            exp["pres"][pres]["sessions"] += 1
            exp["pv"][pres].add(ua if pr else anon_source(ua))
            prm = (pr, mode)
            if pr:
                exp["prospect"][prm]["sessions"] += 1
                exp["pdays"][pr].add(day)
                exp["ppres"][pr].add(pres)
                if acct:
                    exp["aprospects"][acct].add(pr)
            views = [e for e in events if e["type"] == "view"]
            completed = any(e["index"] == slides - 1 for e in views)
            mats_viewed = []
            for e in views:
                if e["material"] not in mats_viewed:
                    mats_viewed.append(e["material"])
            for m in mats_viewed:
                exp["mat"][(m, mode)]["sessions"] += 1
                deepest = max(e["index"] for e in views if e["material"] == m)
                exp["mat"][(m, mode)]["x%d" % deepest] += 1
                if completed:
                    exp["mat"][(m, mode)]["completed"] += 1
                    if pr:
                        exp["prospect"][prm]["m:%s:completed" % m] += 1
            for m, s, v in {(e["material"], e["slide"], e["version"]) for e in views}:
                exp["slides"][(m, mode)]["%s|%d|sessions" % (s, v)] += 1
            if completed:
                exp["pres"][pres]["completed"] += 1
            if views:
                last = max(views, key=lambda e: e["seq"])
                exp["slides"][(last["material"], mode)]["%s|%d|exits" % (last["slide"], last["version"])] += 1
            for e in events:
                t = e["type"]
                value = ""
                if t in ("view", "dwell", "action"):
                    m, s, v = e["material"], e["slide"], e["version"]
                    exp["materials"].add(m)
                    sk = exp["slides"][(m, mode)]
                    ps = "s:%s|%s|%d" % (m, s, v)
                    if t == "view":
                        value = str(e["index"])
                        sk["%s|%d|views" % (s, v)] += 1
                        exp["sv"][(m, s, v, mode)].add(who)
                        exp["mat"][(m, mode)]["views"] += 1
                        exp["mv"][(m, mode)].add(who)
                        if pr:
                            exp["prospect"][prm]["views"] += 1
                            exp["prospect"][prm][ps + ":views"] += 1
                            exp["pseen"][(pr, m)].add(s)
                    elif t == "dwell":
                        value = str(e["ms"])
                        sk["%s|%d|dwell_sum" % (s, v)] += e["ms"]
                        sk["%s|%d|dwell_n" % (s, v)] += 1
                        sk["%s|%d|h%d" % (s, v, bucket(e["ms"]))] += 1
                        mk = exp["mat"][(m, mode)]
                        mk["dwell_sum"] += e["ms"]
                        mk["dwell_n"] += 1
                        mk["h%d" % bucket(e["ms"])] += 1
                        if pr:
                            exp["prospect"][prm]["dwell"] += e["ms"]
                            exp["prospect"][prm]["m:%s:dwell" % m] += e["ms"]
                            exp["prospect"][prm][ps + ":dwell"] += e["ms"]
                    else:
                        value = e["name"]
                        sk["%s|%d|a:%s" % (s, v, e["name"])] += 1
                        if pr:
                            exp["prospect"][prm]["a:" + e["name"]] += 1
                elif t == "open":
                    value = str(e["slides"])
                if pr:
                    exp["ptl"][pr].append((e["at"], "%d|%s|%d|%s|%s|%s|%s|%s" % (
                        e["at"], sid, e["seq"], t, e.get("material", ""), e.get("slide", ""),
                        e.get("version", ""), value)))
        for pr in exp["ptl"]:
            # Redis ZSET order: by score, then member bytes; keep the top 200
            exp["ptl"][pr] = [m for _, m in sorted(exp["ptl"][pr])[-200:]]
        return exp


def anon_source(ua):
    """The client address an anonymous viewer's requests come from: an
    anonymous viewer is a network (README), whatever its User-Agent says."""
    return "127.0.1.%d" % (int(ua.split("-")[1]) + 1)


def post_all(server, requests, pipeline=32):
    """Posts every (body, ua) on keep-alive connections, pipelined; returns
    the statuses. Anonymous viewers ("anon-<n>") each post from an address
    of their own, with a User-Agent that changes from request to request
    (which must not make them more viewers)."""
    statuses = []
    for i in range(0, len(requests), pipeline):
        groups = {}
        for body, ua in requests[i:i + pipeline]:
            anon = ua.startswith("anon-")
            src = anon_source(ua) if anon else None
            sent_ua = "%s-%d" % (ua, len(body)) if anon else ua
            groups.setdefault(src, []).append((body, sent_ua))
        for src, chunk in groups.items():
            c = Conn(server.port, 30, src)
            c.send(b"".join(make_request("POST", "/v1/events", body,
                                         {"Content-Type": "text/plain", "User-Agent": ua})
                            for body, ua in chunk))
            statuses += [c.response().status for _ in chunk]
            c.close()
    return statuses


def hgetall(r, key):
    v = r.cmd("HGETALL", key) or []
    return dict(zip(v[::2], v[1::2]))


class Shards:
    """The shards' keys seen as one: a hash is the sum of every shard's
    (counters) or their union (other fields, which must agree), a set the
    union, a HyperLogLog the union's count, a timeline the newest 200 of
    the union (each shard keeps its newest 200, so that is exact)."""

    def __init__(self, r, shards):
        self.r = r
        self.P = ["dp:{%d}:" % n for n in range(shards)]

    def hsum(self, suffix):
        out = {}
        for p in self.P:
            for k, v in hgetall(self.r, p + suffix).items():
                out[k] = out.get(k, 0) + int(v)
        return out

    def hunion(self, suffix):
        out = {}
        for p in self.P:
            out.update(hgetall(self.r, p + suffix))
        return out

    def smembers(self, suffix):
        out = set()
        for p in self.P:
            out |= set(self.r.cmd("SMEMBERS", p + suffix))
        return out

    def pfcount(self, suffix):
        return self.r.cmd("PFCOUNT", *[p + suffix for p in self.P])

    def timeline(self, suffix):
        items = []
        for p in self.P:
            z = self.r.cmd("ZRANGE", p + suffix, 0, -1, "WITHSCORES")
            items += [(int(float(sc)), m) for m, sc in zip(z[::2], z[1::2])]
        return [m for _, m in sorted(items)[-200:]]

    def suffixes(self, pattern):
        """The key suffixes matching pattern on any shard whose counters are
        not all 0 (an exit moved away leaves a key of zeros)."""
        out = set()
        for p in self.P:
            for k in self.r.cmd("KEYS", p + pattern):
                if any(int(v) for v in hgetall(self.r, k).values()):
                    out.add(k[len(p):])
        return out


def compare(r, exp, day, check, eq, hll_tolerance=0.03, shards=1):
    """Compares every aggregate in Redis, over all shards, with the recount.
    Returns the number of comparisons made."""
    S = Shards(r, shards)
    n = 0
    eq(S.smembers("materials"), exp["materials"], "materials")
    for (m, mode), fields in exp["slides"].items():
        got = {k: v for k, v in S.hsum("slides:%s:%s:%s" % (m, day, mode)).items() if v != 0}
        want = {k: v for k, v in fields.items() if v != 0}
        eq(got, want, "slides %s %s" % (m, mode))
        n += len(want)
    for (m, mode), fields in exp["mat"].items():
        got = {k: v for k, v in S.hsum("mat:%s:%s:%s" % (m, day, mode)).items() if v != 0}
        eq(got, {k: v for k, v in fields.items() if v}, "material %s %s" % (m, mode))
        n += len(fields)

    def hll(suffix, want, what):
        got = S.pfcount(suffix)
        # Redis states 0.81% standard error; at small counts two viewers that
        # share one of the 16384 registers count once (birthday odds ~n^2/2^15),
        # so allow a few in absolute terms as well.
        ok = abs(got - len(want)) <= max(3, hll_tolerance * len(want))
        check(ok, "%s: HLL %d vs exact %d" % (what, got, len(want)))

    for (m, s, v, mode), who in exp["sv"].items():
        hll("sv:%s:%s:%d:%s:%s" % (m, s, v, day, mode), who, "viewers %s/%s/%d" % (m, s, v))
        n += 1
    for (m, mode), who in exp["mv"].items():
        hll("mv:%s:%s:%s" % (m, day, mode), who, "viewers %s %s" % (m, mode))
        n += 1
    for pr in exp["pdays"]:
        got = S.hunion("prospect:" + pr)
        eq((got.get("campaign"), got.get("owner")), exp["links"][pr],
           "prospect %s campaign and owner" % pr)
        eq(S.smembers("pdays:" + pr), exp["pdays"][pr], "prospect %s days" % pr)
        eq(S.smembers("ppres:" + pr), exp["ppres"][pr], "prospect %s presentations" % pr)
        n += 3
    for (pr, mode), fields in exp["prospect"].items():
        got = S.hsum("pd:%s:%s:%s" % (pr, day, mode))
        eq({k: v for k, v in got.items() if v}, {k: v for k, v in fields.items() if v},
           "prospect %s %s" % (pr, mode))
        n += len(fields)
    for (pr, m), slides in exp["pseen"].items():
        eq(S.smembers("pseen:%s:%s" % (pr, m)), slides, "slides seen %s %s" % (pr, m))
        n += 1
    for pr, members in exp["ptl"].items():
        eq(S.timeline("ptl:" + pr), members, "timeline " + pr)
        n += 1
    for a, prs in exp["aprospects"].items():
        eq(S.smembers("aprospects:" + a), prs, "account prospects " + a)
        n += 1
    # nothing else: no counters on another day, another mode or another
    # material than the recount has
    eq(S.suffixes("slides:*"), {"slides:%s:%s:%s" % (m, day, mode)
                                for (m, mode), f in exp["slides"].items() if any(f.values())},
       "slide counters: the recount's keys, no other")
    eq(S.suffixes("mat:*"), {"mat:%s:%s:%s" % (m, day, mode)
                             for (m, mode), f in exp["mat"].items() if any(f.values())},
       "material counters: the recount's keys, no other")
    eq(S.suffixes("pd:*"), {"pd:%s:%s:%s" % (pr, day, mode)
                            for (pr, mode), f in exp["prospect"].items() if any(f.values())},
       "prospect counters: the recount's keys, no other")
    n += 3
    for p, fields in exp["pres"].items():
        got = S.hsum("pres:" + p)
        forwarded = got.pop("forwarded", 0)
        eq({k: v for k, v in got.items() if v}, {k: v for k, v in fields.items() if v},
           "presentation " + p)
        eq(forwarded > 0, len(exp["pv"][p]) > 1, "presentation %s forwarded" % p)
        n += 2
    return n


def shard_of(sid, shards):
    """A session's shard, as the server picks it (FNV-1a of its id: keys.h)."""
    h = 2166136261
    for c in sid.encode():
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h % shards if shards > 1 else 0


def compare_sessions(r, traffic, eq, shards=1):
    """Every session's state, on its shard: slides, slides seen, highest
    index, completed, ended (closed or timed out), and its exit slide."""
    for sid, pres, mode, ua, events in traffic.sessions:
        key = "dp:{%d}:sess:%s" % (shard_of(sid, shards), sid)
        views = [e for e in events if e["type"] == "view"]
        slides = events[0]["slides"]
        want = [str(slides), str(len({e["index"] for e in views})),
                str(max([e["index"] for e in views] or [-1])),
                "1" if any(e["index"] == slides - 1 for e in views) else "0", "1"]
        got = r.cmd("HMGET", key, "slides", "seen", "maxidx", "completed", "ended")
        eq(got, want, "session %s state" % sid)
        if views:
            last = max(views, key=lambda e: e["seq"])
            ex = r.cmd("HGET", key, "exit")
            eq(ex.split("|")[:3], [last["material"], last["slide"], str(last["version"])],
               "session %s exit slide" % sid)
