/* The catalog: one material from JSON, many from CSV; errors name the field
 * and, for CSV, the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "alloc.h"
#include "catalog.h"

static void test_json(void **state)
{
    (void)state;
    dp_material m;
    dp_err err;
    const char *j = "{\"title\":\"Q3 pricing\",\"slides\":[{\"slide\":\"intro\",\"title\":\"Hello "
                    "\\\"you\\\"\"},{\"slide\":\"roi\",\"title\":\"ROI\",\"version\":2}]}";
    assert_int_equal(dp_material_from_json(&m, "q3", j, strlen(j), &err), 0);
    assert_string_equal(m.id, "q3");
    assert_string_equal(m.title, "Q3 pricing");
    assert_int_equal(m.nslides, 2);
    assert_int_equal(m.slides[0].version, 1);
    assert_int_equal(m.slides[1].version, 2);
    char *s = dp_material_slides_json(&m);
    assert_string_equal(s, "[{\"slide\":\"intro\",\"title\":\"Hello \\\"you\\\"\",\"version\":1},"
                           "{\"slide\":\"roi\",\"title\":\"ROI\",\"version\":2}]");
    dp_free(s);
    dp_material_free(&m);

    static const struct {
        const char *id, *json, *msg;
    } bad[] = {
        {"bad id", "{}", "material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"},
        {"q3", "{\"slides\":[]}", "title: must be a string of 1 to 200 characters"},
        {"q3", "{\"title\":\"\",\"slides\":[]}", "title: must be a string of 1 to 200 characters"},
        {"q3", "{\"title\":\"T\"}", "slides: must be an array of at most 10000 slides"},
        {"q3",
         "{\"title\":\"T\",\"slides\":[{\"slide\":\"a\",\"title\":\"A\"},"
         "{\"slide\":\"a\",\"title\":\"B\"}]}",
         "slides[1].slide: slide 'a' appears twice"},
        {"q3", "{\"title\":\"T\",\"slides\":[{\"slide\":\"a\",\"title\":\"A\",\"version\":0}]}",
         "slides[0].version: must be an integer between 1 and 1000000"},
        {"q3", "{\"title\":\"T\",\"slides\":[{\"slide\":\"a\"}]}",
         "slides[0].title: must be a string of 1 to 200 characters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            dp_material_from_json(&m, bad[i].id, bad[i].json, strlen(bad[i].json), &err), -EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

static void test_csv(void **state)
{
    (void)state;
    dp_catalog c;
    dp_err err;
    const char *csv = "material,title,slide,slide_title,version\r\n"
                      "q3,Q3 pricing,intro,\"Hello, you\",\n"
                      "q3,Q3 pricing,roi,ROI,2\n"
                      "\n"
                      "onb,Onboarding,welcome,Welcome,1\n";
    assert_int_equal(dp_catalog_from_csv(&c, csv, strlen(csv), &err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.materials[0].id, "q3");
    assert_int_equal(c.materials[0].nslides, 2);
    assert_string_equal(c.materials[0].slides[0].title, "Hello, you");
    assert_int_equal(c.materials[0].slides[0].version, 1);
    assert_int_equal(c.materials[0].slides[1].version, 2);
    assert_string_equal(c.materials[1].title, "Onboarding");
    dp_catalog_free(&c);

    static const struct {
        const char *csv, *msg;
    } bad[] = {
        {"", "body: no catalog rows"},
        {"material,title,slide,slide_title,version\n", "body: no catalog rows"},
        {"material,title,slide\nq3,T,a\n",
         "line 1: header must be material,title,slide,slide_title,version"},
        {"material,title,slide,slide_title,version\nq3,T,a,A,1\nq3,T,b,B,x\n",
         "line 3: version: must be an integer between 1 and 1000000"},
        {"material,title,slide,slide_title,version\nq3,T,a,A,1\nq3,T,b\n",
         "line 3: expected 5 columns, got 3"},
        {"material,title,slide,slide_title,version\nq 3,T,a,A,1\n",
         "line 2: material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"},
        {"material,title,slide,slide_title,version\nq3,T,a,A,1\nq3,U,b,B,1\n",
         "line 3: title: differs from an earlier row of q3"},
        {"material,title,slide,slide_title,version\nq3,T,a,A,1\nq3,T,a,B,1\n",
         "line 3: slide: 'a' appears twice in q3"},
        {"material,title,slide,slide_title,version\nq3,T,a,,1\n",
         "line 2: slide_title: must be 1 to 200 characters"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dp_catalog_from_csv(&c, bad[i].csv, strlen(bad[i].csv), &err), -EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
    }
    /* found by fuzzing: titles the JSON reader would refuse, and NULs that
     * would have cut a cell short */
    static const struct {
        const char *csv;
        size_t len;
        const char *msg;
    } raw[] = {
        {"material,title,slide,slide_title,version\nq3,Q\xe0\x8f\x8d,a,A,1\n", 55,
         "line 2: title: must be 1 to 200 characters"},
        {"material,title,slide,slide_title,version\nq3,\xed\xa0\x80,a,A,1\n", 54,
         "line 2: title: must be 1 to 200 characters"},
        {"material,title,slide,slide_title,version\nq3,T\xf4\x90\x80\x80,a,A,1\n", 56,
         "line 2: title: must be 1 to 200 characters"},
        {"material,title,slide,slide_title,version\nq3,T\0x,a,A,1\n", 54,
         "line 2: title: must be 1 to 200 characters"},
        {"material,title,slide,slide_title,version\nq3\0x,T,a,A,1\n", 54,
         "line 2: material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"},
        {"material,title,slide,slide_title,version\nq3,T,a,A,2\0x\n", 54,
         "line 2: version: must be an integer between 1 and 1000000"},
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        assert_int_equal(dp_catalog_from_csv(&c, raw[i].csv, raw[i].len, &err), -EINVAL);
        assert_string_equal(err.msg, raw[i].msg);
    }
    const char *utf8 = "material,title,slide,slide_title,version\nq3,\xc3\xa9t\xc3\xa9 "
                       "\xe2\x82\xac \xf0\x9f\x93\x88,a,A,1\n";
    assert_int_equal(dp_catalog_from_csv(&c, utf8, strlen(utf8), &err), 0);
    dp_catalog_free(&c);
    /* a quote left open is a CSV syntax error on the line after the last row */
    const char *open = "material,title,slide,slide_title,version\nq3,\"T,a,A,1\n";
    assert_int_equal(dp_catalog_from_csv(&c, open, strlen(open), &err), -EINVAL);
    assert_non_null(strstr(err.msg, "line 2: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json), cmocka_unit_test(test_csv)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
