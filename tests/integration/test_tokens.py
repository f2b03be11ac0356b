"""Link tokens are opaque and the secret can be rotated (issue 19): a token
showed prospect, account, owner and campaign in readable base64, and a new
secret broke every link already sent."""

import base64
import shutil
import tempfile

from dp import SECRET, Redis, Server, batch, check, eq, finish, forge_token, view

NEW = "a-new-secret-a-new-secret-a-new-secret"

tmp = tempfile.mkdtemp(prefix="dp-tok-")
redis = Redis(tmp)
try:
    srv = Server(tmp, redis.url())
    check(srv.wait_ready(), "ready")
    old = srv.mint("deck", "jane.doe", account="acme", owner="olga", campaign="spring")
    raw = base64.urlsafe_b64decode(old.split(".")[2] + "==")
    for word in ("jane.doe", "acme", "olga", "spring", "deck"):
        check(word not in old and word.encode() not in raw, "the token does not show " + word)
    eq(srv.post_json("/v1/events", batch("s1", [view(1)], old)).status, 202, "accepted")
    v1 = forge_token("deck", "bob", 4102444800000)  # minted by an earlier version
    eq(srv.post_json("/v1/events", batch("s2", [view(1)], v1)).status, 202, "a v1 token still works")
    eq(srv.stop(), 0, "stopped")

    # rotation: a new secret, the old one kept for verification
    srv = Server(tmp, redis.url(), secret=NEW, old_secrets=SECRET)
    check(srv.wait_ready(), "ready with a new secret")
    eq(srv.post_json("/v1/events", batch("s3", [view(1)], old)).status, 202,
       "a link minted with the old secret still works")
    eq(srv.post_json("/v1/events", batch("s4", [view(1)], v1)).status, 202, "so does a v1 one")
    new = srv.mint("deck", "jane.doe")
    check(new.split(".")[1] != old.split(".")[1], "new links carry the new key id")
    eq(srv.post_json("/v1/events", batch("s5", [view(1)], new)).status, 202, "a new link works")
    eq(srv.stop(), 0, "stopped")

    # the old secret dropped: its links are refused, the new ones work
    srv = Server(tmp, redis.url(), secret=NEW)
    check(srv.wait_ready(), "ready without the old secret")
    resp = srv.post_json("/v1/events", batch("s6", [view(1)], old))
    eq((resp.status, resp.json()), (401, {"error": "token: invalid"}), "old links refused")
    eq(srv.post_json("/v1/events", batch("s7", [view(1)], new)).status, 202, "new links work")
    eq(srv.stop(), 0, "stopped")
finally:
    redis.stop()
    shutil.rmtree(tmp, ignore_errors=True)

finish()
