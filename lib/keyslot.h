/* Redis Cluster key slots (issue 22): CRC16 (CCITT/XMODEM, the one Redis
 * uses) of the key, or of its hash tag — the part between the first '{' and
 * the next '}' when that part is not empty — modulo 16384. deckpulse's keys
 * carry a tag ({N}, {c}, {d}, {w}) so that a batch's keys share one slot. */
#ifndef DP_KEYSLOT_H
#define DP_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

#define DP_CLUSTER_SLOTS 16384

uint16_t dp_crc16(const char *buf, size_t len);
/* The slot of key (len bytes). */
unsigned dp_key_slot(const char *key, size_t len);

#endif
