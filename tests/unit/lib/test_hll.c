/* Redis's HyperLogLog read on our side (lib/hll.c): raw values taken from
 * redis-server 7.0 (PFADD a v1..v100; b v50..v300; c w1..w39; GET each),
 * merged and counted, give exactly what PFCOUNT answered for the same keys:
 * a 100, b 252, a+b 301, a+b+c 341. The same registers written densely (the
 * 6-bit packing Redis documents) count the same; damaged values are
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"

static const char A[] = "48594c4c0100000000000000000000802f8041198040c894410780404888388041f88440"
                        "40802e80099841058040778440898440769040b38440b6804235a4411880408584414d80"
                        "41438440988440dc80413588408b88405c80278838882380417b80404a841b9440b08441"
                        "47844081882980388040468840598040948040a88040bf8040c58040ed8c405f8440e780"
                        "0184398801842890398040c2842980404d9040c88040978440c48011840580248840708c"
                        "40548040a0841684348042cb804086801280405e8440b484178041e08441af8041a08440"
                        "92804241804047882e8c40b584408b8042248c406585405c88098040458c008038941684"
                        "328042fb8440a490419580048440898040c5804077803e8040448841028039";
static const char B[] = "48594c4c010000000000000000000080188807883a8407880184407c9005882c801c8039"
                        "8040968840bc80248040ae8040b58840598040dc80088400843d8c2b8002800998108440"
                        "be800d80398440628440898440589440b8881784406c88128440a5802d8c409084048040"
                        "6f941f88138c04844050a41e8040a580404980405980328401802180407f888440948440"
                        "838007840b84048c406f800c801c8808802a8428804050840788168024803388404d8011"
                        "800d98405988406184408390407a901b80009838804057880c801a80405680406b8440d7"
                        "80405a8c0c9c405a80404f8c404b80178c40c48430882d80208829800a800f8840638840"
                        "48800f803d80404d84218884405d8440aa802a8008800c80288840568009884043884047"
                        "802d802d843a803f801f8440828026841c88088013800184138824880184289032800580"
                        "406780404d80358019804054841e8040e28406803384405980404d840484148040a88806"
                        "8c1a9038804067844079880a80228804842c8440fb800584408380409388078010842680"
                        "4081802b80405e844041841d800c840e8c1a80318038a840608007804091844089881d84"
                        "407a8c2180409a842d8840458023801f842a8440428440c1842380008822800a90405b88"
                        "078040b38040b098378c16844089804047880190078040d984228040ed98388041648c33"
                        "8030851a8018840c903e880684405e941684328040499c406680409d8035803584404f80"
                        "40c7800d80128440a490148840958c407a802d802a801180178413844066941284408d80"
                        "1d803988407c8014841e801d9025801780088040488032802b801c8c1b";
static const char C[] = "48594c4c0100000000000000000000804176b043e98041648444ae800e80433b8c410a88"
                        "4163842c80410e8442ad8040f78042b88043438040c280417288404890417b84412a9424"
                        "8441678844af8440bb80413a8040a68445ba802c80348040ed8045f38040e08040bc8040"
                        "9a8040a4803980407480415a844225804166804055";

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static uint64_t count_of(const char *const *hex, size_t n)
{
    dp_hll h;
    dp_hll_init(&h);
    unsigned char raw[4096];
    for (size_t i = 0; i < n; i++) {
        size_t len = unhex(hex[i], raw);
        assert_int_equal(dp_hll_merge_raw(&h, (const char *)raw, len), 0);
    }
    return dp_hll_count(&h);
}

static void test_sparse(void **state)
{
    (void)state;
    const char *a[] = {A}, *b[] = {B}, *ab[] = {A, B}, *abc[] = {A, B, C}, *none[] = {NULL};
    assert_int_equal(count_of(a, 1), 100);
    assert_int_equal(count_of(b, 1), 252);
    assert_int_equal(count_of(ab, 2), 301);
    assert_int_equal(count_of(abc, 3), 341);
    assert_int_equal(count_of(none, 0), 0);
}

/* The registers of a+b, written as a dense HLL ("HYLL", encoding 0, 16384
 * 6-bit registers, least significant bits first). */
static void test_dense(void **state)
{
    (void)state;
    dp_hll h;
    dp_hll_init(&h);
    unsigned char raw[4096];
    size_t len = unhex(A, raw);
    assert_int_equal(dp_hll_merge_raw(&h, (const char *)raw, len), 0);
    len = unhex(B, raw);
    assert_int_equal(dp_hll_merge_raw(&h, (const char *)raw, len), 0);
    size_t dlen = 16 + (DP_HLL_REGISTERS * 6 + 7) / 8;
    unsigned char *d = calloc(1, dlen + 1);
    memcpy(d, "HYLL", 4);
    for (unsigned i = 0; i < DP_HLL_REGISTERS; i++) {
        unsigned bit = i * 6, byte = 16 + bit / 8, shift = bit % 8;
        unsigned v = h.reg[i];
        d[byte] |= (unsigned char)(v << shift);
        if (shift > 2) d[byte + 1] |= (unsigned char)(v >> (8 - shift));
    }
    dp_hll x;
    dp_hll_init(&x);
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)d, dlen), 0);
    assert_memory_equal(x.reg, h.reg, sizeof(h.reg));
    assert_int_equal(dp_hll_count(&x), 301);
    /* dense merged with sparse: the union, as PFCOUNT a b c */
    len = unhex(C, raw);
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)raw, len), 0);
    assert_int_equal(dp_hll_count(&x), 341);
    /* damaged: short, not HYLL, an unknown encoding, a run past the end */
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)d, 15), -EINVAL);
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)d, dlen - 100), -EINVAL);
    d[4] = 7;
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)d, dlen), -EINVAL);
    memcpy(d, "HYLX", 4);
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)d, dlen), -EINVAL);
    len = unhex(A, raw);
    raw[len++] = 0x7f; /* XZERO of 16384 more registers */
    raw[len++] = 0xff;
    assert_int_equal(dp_hll_merge_raw(&x, (const char *)raw, len), -EINVAL);
    assert_int_equal(dp_hll_count(&x), 341); /* unchanged by what was refused */
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse),
        cmocka_unit_test(test_dense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
