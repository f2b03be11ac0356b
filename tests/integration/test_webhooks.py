"""Alerts delivered to webhooks (issue 21): deckpulse-notifier against a
local receiver written here, which verifies every signature with its own
implementation of the Standard Webhooks scheme (HMAC-SHA256 over
"id.timestamp.body" with the whsec_ key, base64, "v1,"), records what it
got, and can answer 500 once, hang, or drop the connection.

  - a scripted visit: each event type the webhook asked for arrives exactly
    once, signed, with a fresh timestamp, the identities and a brief link;
  - 500 then 200: retried (same webhook-id, new signature) and counted
    once; the deliveries route shows both attempts;
  - a hanging endpoint does not delay another;
  - kill -9 of the notifier with a retry pending: after a restart it
    arrives, nothing lost; kill -9 of Redis with a retry pending: once it is
    back (its AOF), the retry arrives;
  - a Slack-format webhook gets {"text": "..."} as Slack expects it;
  - an owner filter keeps other salespeople's prospects out;
  - a notifier without webhook_allow_private refuses a loopback address at
    connect time (the registry allowed it: DNS may change after), and says
    so in the deliveries;
  - a duplicated batch delivers nothing new; a link minted muted, and a
    prospect in alert_ignore_prospects, alert nobody;
  - /metrics: sent, failed, retried, dead-lettered, queue length and age
    per webhook."""

import json
import time

from dp import ADMIN, Env, batch, check, eq, finish, metrics, settled, view, wait_until
from webhook_receiver import Receiver

H = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}


rec = Receiver()
URL = "http://127.0.0.1:%d" % rec.port

with Env(webhook_allow_private="true") as env:
    srv, r = env.server, env.redis

    def hook(path, **extra):
        body = dict(url=URL + path, **extra)
        resp = srv.request("POST", "/v1/webhooks", json.dumps(body).encode(), H)
        eq(resp.status, 201, "webhook " + path)
        rec.secrets[path] = resp.json()["secret"]
        return resp.json()["id"]

    ok_id = hook("/ok")
    flaky_id = hook("/flaky", events=["session.started"])
    hang_id = hook("/hang")
    slack_id = hook("/slack", format="slack", events=["session.ended"])
    hook("/other-owner", owner="someone-else")
    env.collector("hooks")
    notifier = env.notifier("n1", extra=["--webhook_allow_private", "true",
                                         "--public_url", "https://deck.example"])
    eq(srv.request("PUT", "/v1/materials/q3-pricing", json.dumps(
        {"title": "Q3 pricing", "slides": [{"slide": "intro", "title": "Welcome"},
                                           {"slide": "roi", "title": "ROI calculator"}]}),
        H).status, 200, "the catalog: titles for the alerts")
    token = srv.mint("deck-jane", "jane", account="acme", campaign="spring", owner="olga")
    now = int(time.time() * 1000)
    visit = batch("s1", [
        {"seq": 1, "type": "open", "at": now, "slides": 2},
        view(2, slide="intro", index=0, at=now + 1),
        {"seq": 3, "type": "dwell", "at": now + 2, "material": "q3-pricing", "slide": "intro",
         "version": 1, "ms": 65000},
        {"seq": 4, "type": "action", "at": now + 3, "material": "q3-pricing", "slide": "intro",
         "version": 1, "name": "book-demo"},
        view(5, slide="roi", index=1, at=now + 4),
        {"seq": 6, "type": "close", "at": now + 5}], token)
    t0 = time.time()
    eq(srv.post_json("/v1/events", visit).status, 202, "the visit")
    check(wait_until(lambda: len(rec.bodies("/ok")) >= 3, 15, 0.05),
          "the three alerts reached /ok (%r)" % rec.bodies("/ok"))
    took = time.time() - t0
    check(took < 5, "within seconds, though /hang hangs (%.2f s)" % took)
    # up to webhook_concurrency in flight: the order of arrival is not promised
    order = ["session.started", "action", "session.ended"]
    got = sorted(rec.bodies("/ok"), key=lambda b: order.index(b["type"]))
    eq([b["type"] for b in got], order, "each event once")
    for b in got:
        eq({k: b[k] for k in ("session", "presentation", "prospect", "account", "campaign",
                              "owner", "brief")},
           {"session": "s1", "presentation": "deck-jane", "prospect": "jane", "account": "acme",
            "campaign": "spring", "owner": "olga",
            "brief": "https://deck.example/#/prospect/jane"}, "%s identities" % b["type"])
        check(b["id"].startswith("msg_") and abs(b["at"] - now) < 60000, "id and at")
    eq(got[2]["data"], {"material": "q3-pricing", "slides_seen": 2, "slides": 2,
                        "dwell_ms": 65000, "completed": True, "actions": 1, "mode": "self",
                        "material_title": "Q3 pricing", "top_slide": "intro", "top_version": 1,
                        "top_dwell_ms": 65000, "top_slide_title": "Welcome"},
       "session.ended says what the session did, and where it spent most")
    eq(len({b["id"] for b in rec.bodies("/ok")}), 3, "three webhook-ids")
    # Slack: a sentence, with a link to the brief
    check(wait_until(lambda: rec.bodies("/slack"), 10, 0.05), "slack got one")
    eq(rec.bodies("/slack"), [{"text": "jane (acme) read *Q3 pricing* — 2 of 2 slides, 1 min, "
                                       "1 action, to the end, spent most on Welcome — "
                                       "<https://deck.example/#/prospect/jane|open the brief>"}],
       "the Slack body")
    # 500 then 200: the same message again, after ~5 s
    check(wait_until(lambda: len(rec.ids("/flaky")) >= 2, 15, 0.1), "retried")
    ids = rec.ids("/flaky")
    eq((len(ids), ids[0] == ids[1]), (2, True), "one failure, one retry with the same id")
    dl = srv.get("/v1/webhooks/%s/deliveries" % flaky_id, H).json()
    eq([(d["attempt"], d["status"], d["outcome"]) for d in dl["deliveries"]],
       [(2, 200, "ok"), (1, 500, "retry")], "both attempts shown, newest first")
    eq(dl["pending"], 0, "nothing left pending")
    eq(rec.bodies("/other-owner"), [], "another owner's webhook got nothing")
    eq(rec.bad, [], "every signature verified")

    # kill -9 with a retry pending: it arrives after a restart
    notifier.kill()
    notifier.wait()
    token2 = srv.mint("deck-bob", "bob", owner="olga")
    eq(srv.post_json("/v1/events", batch("s2", [view(1, at=now + 10)], token2)).status, 202,
       "a visit while the notifier is down")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    time.sleep(0.5)
    eq([b["prospect"] for b in rec.bodies("/ok")].count("bob"), 0, "nobody sends while it is down")
    notifier = env.notifier("n2", extra=["--webhook_allow_private", "true"])
    check(wait_until(lambda: any(b["prospect"] == "bob" for b in rec.bodies("/ok")), 15, 0.1),
          "after a restart the alert made meanwhile arrives")
    n_flaky = len(rec.ids("/flaky"))
    fl = [i for i in rec.ids("/flaky")]
    notifier.kill()  # the flaky endpoint failed bob's first attempt: a retry is pending
    notifier.wait()
    check(wait_until(lambda: r.cmd("ZCARD", "dp:{w}:q:" + flaky_id) == 1, 5, 0.1),
          "the retry is queued in Redis (%r, %r)" % (fl, r.cmd("ZCARD", "dp:{w}:q:" + flaky_id)))
    notifier = env.notifier("n3", extra=["--webhook_allow_private", "true"])
    check(wait_until(lambda: len(rec.ids("/flaky")) >= n_flaky + 1, 15, 0.1),
          "the pending retry was sent after the kill")
    ids = rec.ids("/flaky")
    eq(ids[-1], ids[-2], "the same message, retried")
    check(wait_until(lambda: r.cmd("ZCARD", "dp:{w}:q:" + flaky_id) == 0, 10, 0.1),
          "and settled")

    # a duplicated batch: nothing new (once every session has ended and what
    # that alerted has been delivered)
    check(wait_until(lambda: settled(r, sessions_ended=True) and
                     r.cmd("ZCARD", "dp:{w}:q:" + ok_id) == 0, 30, 0.1), "all delivered")
    n_ok = len(rec.bodies("/ok"))
    eq(srv.post_json("/v1/events", visit).status, 202, "the visit again")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    time.sleep(1)
    eq(len(rec.bodies("/ok")), n_ok, "a duplicated batch delivers nothing new")

    # muted links and ignored prospects alert nobody
    notifier.kill()
    notifier.wait()
    notifier = env.notifier("n4", extra=["--webhook_allow_private", "true",
                                         "--alert_ignore_prospects", "qa-bot,*.internal"])
    quiet = srv.post_json("/v1/links", {"presentation": "deck-muted", "prospect": "dora",
                                        "owner": "olga", "muted": True},
                          {"Authorization": "Bearer " + ADMIN}).json()["token"]
    eq(srv.post_json("/v1/links", {"presentation": "x", "prospect": "y", "muted": "yes"},
                     {"Authorization": "Bearer " + ADMIN}).json(),
       {"error": "muted: must be true or false"}, "muted is a boolean")
    for i, (tok, sid) in enumerate(((quiet, "m1"), (srv.mint("d-qa", "qa-bot"), "m2"),
                                    (srv.mint("d-int", "eve.internal"), "m3"),
                                    (srv.mint("d-ok", "frank"), "m4"))):
        eq(srv.post_json("/v1/events", batch(sid, [view(1, at=now + 30 + i)], tok)).status, 202,
           "visit " + sid)
    check(wait_until(lambda: any(b["prospect"] == "frank" for b in rec.bodies("/ok")), 15, 0.1),
          "frank's visit alerted")
    time.sleep(0.5)
    eq(sorted({b["prospect"] for b in rec.bodies("/ok")} & {"dora", "qa-bot", "eve.internal"}),
       [], "the muted link and the ignored prospects alerted nobody")

    # /metrics, per webhook
    def series():
        return metrics(srv.get("/metrics").body.decode())
    # every message the flaky endpoint failed once has come again (then 200)
    check(wait_until(lambda: all(rec.ids("/flaky").count(i) >= 2 for i in rec.fail_once), 20,
                     0.1), "the flaky endpoint's retries all arrived")
    sent, failed = len(set(rec.ids("/flaky"))), len(rec.fail_once)
    check(sent >= 3 and failed == sent, "%d sent, each failed once first" % sent)
    want = {'dp_webhook_deliveries_sent_total{webhook="%s"}' % flaky_id: sent,
            'dp_webhook_deliveries_failed_total{webhook="%s"}' % flaky_id: failed,
            'dp_webhook_deliveries_retried_total{webhook="%s"}' % flaky_id: failed,
            'dp_webhook_deliveries_dead_lettered_total{webhook="%s"}' % flaky_id: 0,
            'dp_webhook_queue_length{webhook="%s"}' % flaky_id: 0}
    check(wait_until(lambda: all(series().get(k) == v for k, v in want.items()), 10, 0.2),
          "the flaky webhook's counters (%r)" % {k: series().get(k) for k in want})
    m = series()
    check(m.get('dp_webhook_queue_length{webhook="%s"}' % hang_id, 0) >= 1 and
          m.get('dp_webhook_queue_age_seconds{webhook="%s"}' % hang_id, 0) > 0,
          "the hanging endpoint's queue and its age show")

    # kill -9 of Redis with a retry pending: nothing lost (after the counters
    # were checked: a settle lost with Redis counts nothing, the delivery is
    # sent again — at least once)
    n_flaky = len(rec.ids("/flaky"))
    token4 = srv.mint("deck-gina", "gina", owner="olga")
    eq(srv.post_json("/v1/events", batch("s9", [view(1, at=now + 40)], token4)).status, 202,
       "a visit")
    check(wait_until(lambda: len(rec.ids("/flaky")) == n_flaky + 1, 15, 0.05),
          "the flaky endpoint failed its first attempt")
    check(wait_until(lambda: r.cmd("ZCARD", "dp:{w}:q:" + flaky_id) == 1, 5, 0.05),
          "its retry is queued")
    r.stop()
    time.sleep(1)
    r.start()
    check(wait_until(lambda: len(rec.ids("/flaky")) >= n_flaky + 2, 30, 0.1),
          "after Redis came back the retry arrived")
    ids = rec.ids("/flaky")
    eq(ids[-1], ids[-2], "the same message")
    check(wait_until(lambda: r.cmd("ZCARD", "dp:{w}:q:" + flaky_id) == 0, 15, 0.1), "settled")

    # SSRF at connect time: a notifier that does not allow private addresses
    notifier.kill()
    notifier.wait()
    notifier = env.notifier("strict")
    token3 = srv.mint("deck-carl", "carl", owner="olga")
    eq(srv.post_json("/v1/events", batch("s3", [view(1, at=now + 20)], token3)).status, 202,
       "a visit")
    check(wait_until(lambda: any((d.get("error") or "").startswith("refused")
                                 for d in srv.get("/v1/webhooks/%s/deliveries" % ok_id, H)
                                 .json()["deliveries"]), 15, 0.1),
          "a loopback address refused when connecting")
    check(not any(b["prospect"] == "carl" for b in rec.bodies("/ok")), "nothing reached it")
    eq(rec.bad, [], "every signature verified")
    hang = srv.get("/v1/webhooks", H).json()["webhooks"]
    check(any(w["id"] == hang_id and w["pending"] >= 1 for w in hang),
          "the hanging endpoint's deliveries wait in its own queue")

finish()
