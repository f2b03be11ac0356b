/* Secrets kept in data_dir: the link-token HMAC key (data_dir/secret) and
 * the generated admin API key (data_dir/admin.key), created on first start
 * with mode 0600 from libsodium's CSPRNG, read back on later starts. */
#ifndef DP_SECRETS_H
#define DP_SECRETS_H

#include <stddef.h>

#include "deckpulse/error.h"

/* Reads data_dir/name (trimmed), or writes prefix + 2*nbytes random hex
 * into it first. *out is dp_malloc'd. */
int dp_secret_file(const char *dir, const char *name, const char *prefix, size_t nbytes, char **out,
                   dp_err *err);

#endif
