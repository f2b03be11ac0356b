#include "webhook_sign.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void dp_wh_secret_new(char out[DP_WH_SECRET_MAX])
{
    unsigned char key[32];
    randombytes_buf(key, sizeof(key));
    memcpy(out, "whsec_", 6);
    sodium_bin2base64(out + 6, DP_WH_SECRET_MAX - 6, key, sizeof(key),
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof(key));
}

int dp_wh_sign(const char *secret, const char *id, int64_t timestamp, const char *body, size_t len,
               char out[DP_WH_SIG_MAX], dp_err *err)
{
    if (strncmp(secret, "whsec_", 6) != 0)
        return dp_err_set(err, -EINVAL, "webhook secret: must start with whsec_");
    unsigned char key[64];
    size_t klen;
    const char *b64 = secret + 6;
    if (sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &klen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        klen == 0)
        return dp_err_set(err, -EINVAL, "webhook secret: not base64 after whsec_");
    /* HMAC-SHA256 over id "." timestamp "." body, streamed */
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    char ts[24];
    int n = snprintf(ts, sizeof(ts), ".%lld.", (long long)timestamp);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof(key));
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, DP_WH_SIG_MAX - 3, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    return 0;
}
