"""Seeds a Redis with report data directly in the collector's key layout
(include/deckpulse/keys.h), as RESP for `redis-cli --pipe`:

  - material "big": 200 slides x 3 versions, every day of the last 365
    days, both modes on every 7th day; per slide version and day views,
    sessions, dwell (sum, count, 4 histogram buckets), exits, an action on
    some, and a viewers HyperLogLog; the material's daily hash and HLL;
  - materials "m000".."m499": a year of daily material hashes and HLLs, for
    the leaderboard;
  - the catalog entries (titles) of all of them;
  - with --deals: a year of sales (issue 20): 20 campaigns and 10 owners
    with links minted every day (ln/lp/la/lpr records, 20 000 prospects),
    their per-day session counters (od:/cd:, 20 materials each), 10 000
    deals spread over the year naming one to three prospects, each
    prospect's earliest views of 10 of the 500 materials (pfv:) and a deck
    per presentation.

  python3 bench/seed_reports.py | redis-cli -p PORT --pipe
"""
import json
import random
import sys
import time

out = sys.stdout.buffer
rnd = random.Random(1)


def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))


today = int(time.time()) // 86400
days = [time.strftime("%Y-%m-%d", time.gmtime((today - i) * 86400)) for i in range(365)]

slides = [("s%03d" % i, v) for i in range(200) for v in (1, 2, 3)]
cmd("HSET", "dp:{c}:material:big", "title", "The big deck", "slides",
    json.dumps([{"slide": "s%03d" % i, "title": "Slide %d" % i, "version": 3}
                for i in range(200)]))
cmd("SADD", "dp:{c}:catalog", "big")
cmd("SADD", "dp:{0}:materials", "big")
for d in days:
    cmd("SADD", "dp:{0}:days:big", d)
    for mode in (("self", "live") if hash(d) % 7 == 0 else ("self",)):
        fields = []
        for s, v in slides:
            p = "%s|%d|" % (s, v)
            views = rnd.randint(1, 9)
            fields += [p + "views", views, p + "sessions", max(1, views - 1),
                       p + "dwell_sum", views * 4000, p + "dwell_n", views,
                       p + "exits", rnd.randint(0, 2)]
            for b in rnd.sample(range(2, 14), 4):
                fields += [p + "h%d" % b, rnd.randint(1, 3)]
            if rnd.random() < 0.1:
                fields += [p + "a:book-demo", 1]
            cmd("PFADD", "dp:{0}:sv:big:%s:%d:%s:%s" % (s, v, d, mode),
                *["v%d" % rnd.randint(0, 5000) for _ in range(3)])
        cmd("HSET", "dp:{0}:slides:big:%s:%s" % (d, mode), *fields)
        mat = ["sessions", 300, "completed", 90, "views", 2400, "dwell_sum", 9600000,
               "dwell_n", 2400]
        mat += sum([["h%d" % b, 200] for b in range(2, 14)], [])
        mat += sum([["x%d" % k, 1] for k in range(200)], [])
        cmd("HSET", "dp:{0}:mat:big:%s:%s" % (d, mode), *mat)
        cmd("PFADD", "dp:{0}:mv:big:%s:%s" % (d, mode),
            *["v%d" % rnd.randint(0, 5000) for _ in range(50)])

for m in range(500):
    mid = "m%03d" % m
    cmd("SADD", "dp:{0}:materials", mid)
    cmd("SADD", "dp:{c}:catalog", mid)
    cmd("HSET", "dp:{c}:material:" + mid, "title", "Material %d" % m, "slides", "[]")
    for d in days:
        cmd("SADD", "dp:{0}:days:" + mid, d)
        n = rnd.randint(1, 40)
        cmd("HSET", "dp:{0}:mat:%s:%s:self" % (mid, d), "sessions", n, "completed", n // 3,
            "views", n * 8, "dwell_sum", n * 30000, "dwell_n", n * 8, "h5", n * 4, "h9", n * 4)
        cmd("PFADD", "dp:{0}:mv:%s:%s:self" % (mid, d), *["v%d" % rnd.randint(0, 900)
                                                          for _ in range(3)])
if "--deals" in sys.argv:
    now_ms = today * 86400000
    camps = ["c%02d" % i for i in range(20)]
    owners = ["o%02d" % i for i in range(10)]
    for i in range(20000):
        pr = "p%05d" % i
        c, o = camps[i % 20], owners[i % 10]
        d = rnd.randrange(365)
        day = days[d]
        for k, g in (("c", c), ("o", o)):
            cmd("HINCRBY", "dp:{d}:ln:%s:%s" % (k, g), day, 1)
            cmd("ZADD", "dp:{d}:lp:%s:%s" % (k, g), today - d, "%s|%s" % (day, pr))
            cmd("SADD", "dp:{d}:la:%s:%s" % (k, g), "acct-%d" % (i % 400))
            cmd("SADD", "dp:{d}:plk:" + pr, "%s|%s|%s" % (k, day, g))
        pres = "pres-" + pr
        cmd("ZADD", "dp:{d}:lpr:o:" + o, (today - d) * 86400000, pres)
        cmd("SET", "dp:{c}:deck:" + pres, json.dumps(
            [{"material": "big", "slide": "s%03d" % s_, "version": 1}
             for s_ in range(0, 200, 2)]))
        first = (today - d) * 86400000 + 3600000
        cmd("HSET", "dp:{0}:prospect:" + pr, "first_seen", first, "last_seen", first + 86400000,
            "account", "acct-%d" % (i % 400), "campaign", c, "owner", o, "pm", 1)
        cmd("ZADD", "dp:{0}:prospects", first + 86400000, pr)
        fv = []
        for m in rnd.sample(range(500), 10):
            at = first + rnd.randint(0, 20 * 86400000)
            fv += [at, "self|m%03d" % m, at, "self|m%03d|s1|1" % m]
        cmd("ZADD", "dp:{0}:pfv:" + pr, *fv)
    for g in camps:
        cmd("SADD", "dp:{d}:campaigns", g)
    for g in owners:
        cmd("SADD", "dp:{d}:owners", g)
    for k, groups in (("cd", camps), ("od", owners)):
        for g in groups:
            cmd("SADD", "dp:{0}:%s" % ("campaigns" if k == "cd" else "owners"), g)
            for day in days:
                cmd("SADD", "dp:{0}:%sdays:%s" % (k[0], g), day)
                f = ["sessions", 40, "completed", 12]
                for m in range(20):
                    f += ["m:m%03d:sessions" % m, 2]
                cmd("HSET", "dp:{0}:%s:%s:%s:self" % (k, g, day), *f)
    for i in range(10000):
        deal = "deal-%05d" % i
        at = now_ms - rnd.randrange(365) * 86400000 + rnd.randrange(86400000)
        prs = ";".join("p%05d" % rnd.randrange(20000) for _ in range(rnd.randint(1, 3)))
        stage = rnd.choice(["won", "lost", "open"])
        cmd("HSET", "dp:{d}:deal:" + deal, "stage", stage, "at", at, "amount",
            "%d.%02d" % (rnd.randint(1000, 90000), rnd.randint(0, 99)), "currency", "EUR",
            "account", "", "owner", rnd.choice(owners), "campaign", rnd.choice(camps),
            "prospects", prs)
        cmd("ZADD", "dp:{d}:deals", at, deal)
out.flush()
