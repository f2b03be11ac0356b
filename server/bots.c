#include "bots.h"

#include <string.h>
#include <strings.h>

/* Case-insensitive substrings of User-Agent headers of known automata. */
static const char *const agents[] = {"bot",
                                     "crawler",
                                     "spider",
                                     "slurp",
                                     "preview",
                                     "scanner",
                                     "headlesschrome",
                                     "phantomjs",
                                     "python-",
                                     "curl/",
                                     "wget/",
                                     "go-http-client",
                                     "java/",
                                     "okhttp",
                                     "libwww",
                                     "facebookexternalhit",
                                     "whatsapp",
                                     "skypeuripreview",
                                     "microsoft office",
                                     "ms-office",
                                     "barracuda",
                                     "proofpoint",
                                     "mimecast",
                                     "symantec",
                                     "trend micro",
                                     "forcepoint",
                                     "ironport",
                                     "safelinks",
                                     "urldefense",
                                     "googleimageproxy",
                                     "yahoomailproxy",
                                     NULL};

static int contains(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(h + i, needle, k)) return 1;
    return 0;
}

const char *dp_bot_reason(const dp_http_req *r)
{
    size_t n;
    const char *v = dp_http_req_header(r, "sec-purpose", &n);
    if (v == NULL) v = dp_http_req_header(r, "purpose", &n);
    if (v && contains(v, n, "prefetch")) return "prefetch";
    const char *ua = dp_http_req_header(r, "user-agent", &n);
    if (ua == NULL || n == 0) return "bot"; /* browsers always send one */
    for (int i = 0; agents[i]; i++)
        if (contains(ua, n, agents[i])) return "bot";
    return NULL;
}
