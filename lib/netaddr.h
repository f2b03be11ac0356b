/* Which addresses an outbound webhook may reach (issue 21's SSRF rule): a
 * URL that resolves to loopback, private, link-local, unspecified, multicast
 * or otherwise non-public space is refused unless webhook_allow_private.
 * Checked when a webhook is registered and again for every connection the
 * notifier opens (a name that resolved to a public address at registration
 * may resolve to 127.0.0.1 later: DNS rebinding). */
#ifndef DP_NETADDR_H
#define DP_NETADDR_H

#include <sys/socket.h>

/* 1 when sa (AF_INET or AF_INET6; IPv4-mapped IPv6 as IPv4) is not a
 * public unicast address, else 0. */
int dp_addr_is_private(const struct sockaddr *sa);

#endif
