/* libFuzzer target: the token verifier. Nothing but a token we minted may
 * verify, and whatever verifies must round-trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret!";
    dp_link l;
    dp_err err;
    if (dp_token_verify(secret, sizeof(secret) - 1, (const char *)data, size, 0, &l, &err) == 0) {
        char again[DP_TOKEN_MAX];
        if (dp_token_mint(secret, sizeof(secret) - 1, &l, again, sizeof(again)) != 0 ||
            strlen(again) != size || memcmp(again, data, size) != 0)
            __builtin_trap();
    }
    return 0;
}
