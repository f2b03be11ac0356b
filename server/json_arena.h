/* One batch's JSON tree in one block. jansson allocates every node, key
 * and string separately (dozens of malloc/free per request: the largest
 * share of the server's libc time, bench/RESULTS.md); while an arena is
 * entered its allocations are carved from one block instead, freed with it
 * when the batch is done. Everything else — and anything that does not fit
 * — goes to malloc as before. Every allocation carries a 16-byte header
 * saying which, so jansson's frees of either kind are right.
 *
 * dp_json_arena_install() must run before jansson allocates anything (the
 * server does it first thing). Off under AddressSanitizer unless a test
 * turns it on, so the sanitizer keeps seeing each jansson node on its own. */
#ifndef DP_JSON_ARENA_H
#define DP_JSON_ARENA_H

#include <stddef.h>

typedef struct dp_json_arena dp_json_arena;

void dp_json_arena_install(void);
void dp_json_arena_enable(int on);
/* A block of about size bytes that takes jansson's allocations until
 * dp_json_arena_leave(); NULL (plain malloc) when not installed/enabled. */
dp_json_arena *dp_json_arena_enter(size_t size);
void dp_json_arena_leave(void);
/* After the tree built in it was released (json_decref). NULL is fine. */
void dp_json_arena_free(dp_json_arena *a);
/* Frees what jansson returned for the caller to free (json_dumps): with
 * the allocator installed, plain free() would be wrong. */
void dp_json_free(void *p);

#endif
