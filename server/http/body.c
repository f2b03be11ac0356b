#include "body.h"

#include <string.h>

#include "alloc.h"

dp_body *dp_body_new(const char *data, size_t len)
{
    dp_body *b = dp_malloc(sizeof(*b) + (len ? len : 1));
    b->refs = 1;
    b->len = len;
    if (len) memcpy(b->data, data, len);
    return b;
}

void dp_body_unref(dp_body *b)
{
    if (b && --b->refs == 0) dp_free(b);
}
