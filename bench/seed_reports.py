"""Seeds a Redis with report data directly in the collector's key layout
(include/deckpulse/keys.h), as RESP for `redis-cli --pipe`:

  - material "big": 200 slides x 3 versions, every day of the last 365
    days, both modes on every 7th day; per slide version and day views,
    sessions, dwell (sum, count, 4 histogram buckets), exits, an action on
    some, and a viewers HyperLogLog; the material's daily hash and HLL;
  - materials "m000".."m499": a year of daily material hashes and HLLs, for
    the leaderboard;
  - the catalog entries (titles) of all of them.

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
out.flush()
