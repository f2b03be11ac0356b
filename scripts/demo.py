#!/usr/bin/env python3
"""Seeds a running deckpulse with realistic demo data through the real
ingest path: a catalog of three decks, link tokens for 24 prospects at 6
accounts, and a few hundred viewing sessions (personalised decks, a v2 of
some slides, live calls, forwarded links, actions, people who stop
halfway), each salesperson's decks leaving out the slides they skip, then
deal outcomes from the CRM: some won, some lost, one still open, through
two campaigns and three owners. Standard library only.

  scripts/demo.py http://127.0.0.1:8080 ADMIN_KEY [--sessions N] [--seed S]
"""
import argparse
import json
import random
import sys
import time
import urllib.error
import urllib.request

DECKS = {
    "q3-pricing": ("Q3 pricing", [("intro", "Welcome", 1), ("problem", "The problem", 1),
                                  ("roi", "ROI calculator", 2), ("plans", "Plans", 1),
                                  ("pricing", "Pricing", 2), ("security", "Security", 1),
                                  ("customers", "Customers", 1), ("next", "Next steps", 1)]),
    "onboarding": ("Onboarding guide", [("welcome", "Welcome aboard", 1), ("setup", "Setup", 1),
                                        ("integrations", "Integrations", 1),
                                        ("team", "Invite your team", 1), ("help", "Getting help", 1)]),
    "case-study": ("Case study: Acme", [("story", "The story", 1), ("before", "Before", 1),
                                        ("after", "After", 2), ("numbers", "The numbers", 1),
                                        ("quote", "In their words", 1), ("cta", "Talk to us", 1)]),
}
ACCOUNTS = ["acme", "globex", "initech", "umbrella", "hooli", "stark"]
OWNERS = ["olga", "pete", "sam"]
CAMPAIGNS = ["spring-webinar", "outbound"]
# what each salesperson leaves out of marketing's decks
CUTS = {"olga": set(), "pete": {"security", "customers", "quote"}, "sam": {"problem", "help"}}


def call(base, key, method, path, body, ctype="application/json", ua=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": ctype}
    if key:
        h["Authorization"] = "Bearer " + key
    if ua:
        h["User-Agent"] = ua
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    for _ in range(100):
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            if e.code != 429:  # rate limited (rate_ip_per_s): wait as told
                raise
            time.sleep(float(e.headers.get("Retry-After", "1")))
    sys.exit("demo: still rate limited after 100 tries")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("key")
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    base = a.url.rstrip("/")
    rnd = random.Random(a.seed)

    rows = ["material,title,slide,slide_title,version"]
    for mid, (title, slides) in DECKS.items():
        rows += ['%s,"%s",%s,"%s",%d' % (mid, title, s, t, v) for s, t, v in slides]
    call(base, a.key, "POST", "/v1/catalog", ("\r\n".join(rows) + "\r\n").encode(), "text/csv")

    prospects = []
    for i in range(24):
        pr = "%s-%s" % (rnd.choice(["anna", "ben", "chloe", "dev", "emma", "femi", "gus", "hana",
                                    "ivan", "jade", "kofi", "lena"]), i)
        prospects.append((pr, ACCOUNTS[i % len(ACCOUNTS)], rnd.choice(CAMPAIGNS),
                          OWNERS[i % len(OWNERS)]))
    links = {}
    for pr, acct, camp, owner in prospects:
        mats = rnd.sample(list(DECKS), rnd.randint(1, 2))
        pres = "%s-%s" % (pr, "-".join(m.split("-")[0] for m in mats))
        deck = []
        for m in mats:
            deck += [(m, s, v if rnd.random() < 0.6 else 1) for s, _, v in DECKS[m][1]
                     if s not in CUTS[owner]]
        _, t = call(base, a.key, "POST", "/v1/links",
                    {"presentation": pres, "prospect": pr, "account": acct, "campaign": camp,
                     "owner": owner, "slides": [{"material": m, "slide": s, "version": v}
                                                for m, s, v in deck]})
        links[pr] = (t["token"], deck)

    # some prospects are much keener than others
    weight = {pr: rnd.choice([1, 1, 2, 3, 6]) for pr, _, _, _ in prospects}
    names = [pr for pr in weight for _ in range(weight[pr])]
    now = int(time.time() * 1000)
    sent = 0
    for n in range(a.sessions):
        pr = rnd.choice(names)
        token, deck = links[pr]
        sid = "demo%d%06d" % (a.seed, n)
        mode = "live" if rnd.random() < 0.15 else "self"
        ua = "demo-browser-%s" % pr if rnd.random() < 0.9 else "demo-browser-%d" % n
        at = now - rnd.randint(0, 6 * 3600000)
        events, seq = [{"seq": 1, "type": "open", "at": at, "slides": len(deck)}], 1
        keen = rnd.random()
        stop = len(deck) if keen > 0.45 else rnd.randint(1, len(deck))
        for i in range(stop):
            m, s, v = deck[i]
            at += 500
            seq += 1
            events.append({"seq": seq, "type": "view", "at": at, "material": m, "slide": s,
                           "version": v, "index": i})
            dwell = int(rnd.lognormvariate(9.2 if s not in ("roi", "pricing", "numbers") else 10, 0.7))
            at += dwell
            seq += 1
            events.append({"seq": seq, "type": "dwell", "at": at, "material": m, "slide": s,
                           "version": v, "ms": min(dwell, 900000)})
            if s in ("pricing", "cta", "next", "roi") and rnd.random() < 0.2:
                seq += 1
                events.append({"seq": seq, "type": "action", "at": at, "material": m, "slide": s,
                               "version": v, "name": rnd.choice(["book-demo", "download-pdf"])})
        if rnd.random() < 0.8:
            seq += 1
            events.append({"seq": seq, "type": "close", "at": at + 1000})
        for i in range(0, len(events), 20):
            status, _ = call(base, None, "POST", "/v1/events",
                             {"token": token, "session": sid, "mode": mode,
                              "events": events[i:i + 20]}, "text/plain", ua)
            if status != 202:
                sys.exit("demo: ingest answered %d" % status)
        sent += len(events)
    # the CRM's outcomes: a deal per account, with the prospects who read;
    # opened ten days ago, won or lost now (after the views), one still open
    outcomes = []
    for k, acct in enumerate(ACCOUNTS):
        who = [p for p in prospects if p[1] == acct]
        deal = {"deal": "deal-%s" % acct, "account": acct, "prospects": [p[0] for p in who],
                "currency": "EUR", "owner": who[0][3], "campaign": who[0][2]}
        amount = "%d.%02d" % (rnd.randint(5, 90) * 1000, rnd.randint(0, 99))
        outcomes.append(dict(deal, stage="open", at=now - 10 * 86400000, amount=amount))
        stage = ["won", "lost", "won", "open", "won", "lost"][k]
        if stage != "open":
            outcomes.append(dict(deal, stage=stage, at=now + 60000, amount=amount))
    call(base, a.key, "POST", "/v1/outcomes", {"outcomes": outcomes})
    print("demo: %d sessions, %d events for %d prospects at %d accounts, 3 decks, %d deals"
          % (a.sessions, sent, len(prospects), len(ACCOUNTS), len(ACCOUNTS)))


if __name__ == "__main__":
    main()
