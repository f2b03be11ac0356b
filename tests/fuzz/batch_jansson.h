/* The jansson tree decoder that dp_batch_decode replaced, as a test
 * oracle (batch_jansson.c). On success b's strings live in *root: free
 * with json_decref(*root) and dp_free(b->events). */
#ifndef DP_BATCH_JANSSON_H
#define DP_BATCH_JANSSON_H

#include <jansson.h>

#include "batch.h"

int dp_batch_decode_jansson(dp_batch *b, json_t **root, const char *text, size_t len,
                            const dp_batch_limits *lim, dp_err *err);

#endif
