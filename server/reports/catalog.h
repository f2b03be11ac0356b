/* The catalog: materials with a title and their slides in deck order, each
 * with a title and a version. Set one material with PUT /v1/materials/{id}
 * (JSON) or many with POST /v1/catalog (CSV: material,title,slide,
 * slide_title,version; one row per slide). Stored in Redis under the hash
 * tag {c}: dp:{c}:material:<id> (HASH title, slides = JSON array) and
 * dp:{c}:catalog (SET of ids). Reports show these titles. */
#ifndef DP_CATALOG_H
#define DP_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

#define DP_TITLE_MAX             200
#define DP_CATALOG_MATERIALS_MAX 10000

typedef struct dp_catalog_slide {
    char slide[DP_ID_MAX + 1];
    char *title;
    int64_t version;
} dp_catalog_slide;

typedef struct dp_material {
    char id[DP_ID_MAX + 1];
    char *title;
    size_t nslides;
    dp_catalog_slide *slides;
} dp_material;

typedef struct dp_catalog {
    size_t n;
    dp_material *materials;
} dp_catalog;

/* {"title", "slides": [{"slide", "title", "version"}]} for material id. */
int dp_material_from_json(dp_material *m, const char *id, const char *json, size_t len,
                          dp_err *err);
/* CSV with the header material,title,slide,slide_title,version; errors name
 * the line ("line 4: version: must be an integer between 1 and 1000000"). */
int dp_catalog_from_csv(dp_catalog *c, const char *csv, size_t len, dp_err *err);
/* The slides as a JSON array (what is stored). dp_free it. */
char *dp_material_slides_json(const dp_material *m);
void dp_material_free(dp_material *m);
void dp_catalog_free(dp_catalog *c);

#endif
