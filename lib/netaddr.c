#include "netaddr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static int v4_private(uint32_t a) /* host order */
{
    uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16);
    return b0 == 0 || b0 == 10 || b0 == 127 ||                 /* this network, private, loopback */
           (b0 == 100 && (b1 & 0xC0) == 64) ||                 /* 100.64/10 carrier-grade NAT */
           (b0 == 169 && b1 == 254) ||                         /* link-local */
           (b0 == 172 && (b1 & 0xF0) == 16) ||                 /* 172.16/12 */
           (b0 == 192 && b1 == 168) ||                         /* 192.168/16 */
           (b0 == 192 && b1 == 0 && (uint8_t)(a >> 8) == 0) || /* 192.0.0/24 */
           (b0 == 198 && (b1 & 0xFE) == 18) ||                 /* 198.18/15 benchmarking */
           b0 >= 224;                                          /* multicast, reserved, broadcast */
}

int dp_addr_is_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_private(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family != AF_INET6) return 1;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    const uint8_t *b = in6->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0)
        return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                          b[15]);
    static const uint8_t zero[16];
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return 1;       /* :: and ::1 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return 1;                        /* fe80::/10 */
    if ((b[0] & 0xfe) == 0xfc) return 1;                                        /* fc00::/7 */
    if (b[0] == 0xff) return 1;                                                 /* multicast */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return 1; /* doc */
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)           /* NAT64 */
        return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                          b[15]);
    return 0;
}
