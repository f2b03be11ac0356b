/* Standard Webhooks signing (https://www.standardwebhooks.com): a delivery
 * carries webhook-id, webhook-timestamp (seconds) and
 * webhook-signature: "v1,<base64 HMAC-SHA256(key, id "." timestamp "." body)>"
 * where key is the secret's bytes: "whsec_" + base64 of 32 random bytes.
 * libsodium does the HMAC and the base64 (constant time). */
#ifndef DP_WEBHOOK_SIGN_H
#define DP_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"

#define DP_WH_SECRET_MAX 96 /* "whsec_" + base64 of up to 64 bytes */
#define DP_WH_SIG_MAX    64 /* "v1," + 44 characters of base64 */

/* A new secret: "whsec_" + base64(32 random bytes), into out. */
void dp_wh_secret_new(char out[DP_WH_SECRET_MAX]);
/* The signature header's value for (id, timestamp, body) into out; 0, or
 * -EINVAL when the secret is not whsec_ + base64. */
int dp_wh_sign(const char *secret, const char *id, int64_t timestamp, const char *body, size_t len,
               char out[DP_WH_SIG_MAX], dp_err *err);

#endif
