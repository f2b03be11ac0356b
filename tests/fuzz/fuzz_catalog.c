/* libFuzzer target: the catalog CSV importer (POST /v1/catalog). Any input
 * is either refused with a message naming a line, or gives materials whose
 * every field is valid and which survive the trip through the stored JSON
 * form (what PUT /v1/materials/{id} reads back) unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_catalog c;
    dp_err err;
    if (dp_catalog_from_csv(&c, (const char *)data, size, &err) != 0) {
        if (strncmp(err.msg, "line ", 5) != 0 && strcmp(err.msg, "body: no catalog rows") != 0)
            __builtin_trap();
        return 0;
    }
    if (c.n == 0) __builtin_trap();
    for (size_t i = 0; i < c.n; i++) {
        const dp_material *m = &c.materials[i];
        if (!dp_id_valid(m->id, strlen(m->id)) || m->nslides == 0) __builtin_trap();
        char *slides = dp_material_slides_json(m);
        dp_buf j;
        dp_buf_init(&j, 0);
        dp_buf_puts(&j, "{\"title\":\"");
        dp_buf_json_str(&j, m->title, strlen(m->title));
        dp_buf_printf(&j, "\",\"slides\":%s}", slides);
        dp_material back;
        if (dp_material_from_json(&back, m->id, j.data, j.len, &err) != 0) __builtin_trap();
        if (strcmp(back.title, m->title) != 0 || back.nslides != m->nslides) __builtin_trap();
        for (size_t k = 0; k < m->nslides; k++)
            if (strcmp(back.slides[k].slide, m->slides[k].slide) ||
                strcmp(back.slides[k].title, m->slides[k].title) ||
                back.slides[k].version != m->slides[k].version)
                __builtin_trap();
        dp_material_free(&back);
        dp_buf_free(&j);
        dp_free(slides);
    }
    dp_catalog_free(&c);
    return 0;
}
