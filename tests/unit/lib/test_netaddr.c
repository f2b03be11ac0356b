/* The SSRF rule's address classes: loopback, private, link-local, CGNAT,
 * multicast, IPv6 unique-local and link-local, IPv4-mapped — refused;
 * public unicast — allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "netaddr.h"

static int private_of(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return dp_addr_is_private((struct sockaddr *)&ss);
}

static void test_classes(void **state)
{
    (void)state;
    const char *refused[] = {
        "127.0.0.1",    "127.9.9.9",        "10.1.2.3",        "172.16.0.1",
        "172.31.255.1", "192.168.1.1",      "169.254.169.254", "100.64.0.1",
        "0.0.0.0",      "224.0.0.1",        "255.255.255.255", "::1",
        "::",           "fe80::1",          "fd00::1",         "fc00::2",
        "ff02::1",      "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1"};
    const char *allowed[] = {"8.8.8.8", "172.32.0.1",      "100.128.0.1",   "192.169.0.1",
                             "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
        assert_true(private_of(refused[i]));
    for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
        assert_false(private_of(allowed[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_classes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
