/* libFuzzer target: the token verifier. Nothing but a token we minted may
 * verify (a fuzzer cannot forge a seal or a signature), and whatever
 * verifies must mint again into a token that verifies to the same link. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret!";
    static const char old[] = "fuzz-old-secret-fuzz-old-secret-fuzz!";
    static dp_token_keys ks;
    if (ks.n == 0) {
        dp_token_keys_add(&ks, secret, sizeof(secret) - 1);
        dp_token_keys_add(&ks, old, sizeof(old) - 1);
    }
    dp_link l, back;
    dp_err err;
    if (dp_token_verify(&ks, (const char *)data, size, 0, &l, &err) == 0) {
        char again[DP_TOKEN_MAX];
        if (dp_token_mint(&ks, &l, again, sizeof(again)) != 0 ||
            dp_token_verify(&ks, again, strlen(again), 0, &back, &err) != 0 ||
            memcmp(&l, &back, sizeof(l)) != 0)
            __builtin_trap();
    }
    return 0;
}
