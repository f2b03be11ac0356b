#include "bots.h"

#include <string.h>

/* Case-insensitive substrings of User-Agent headers of automata that open
 * links and pages by themselves: crawlers, link previews, mail scanners,
 * headless browsers. */
static const char *const automata[] = {"bot",
                                       "crawler",
                                       "spider",
                                       "slurp",
                                       "preview",
                                       "scanner",
                                       "headlesschrome",
                                       "phantomjs",
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

/* ... and of HTTP libraries and command-line tools: a script, which is a
 * person trying deckpulse when it sends a signed link token. */
static const char *const scripts[] = {"python-", "curl/",  "wget/",  "go-http-client",
                                      "java/",   "okhttp", "libwww", NULL};

/* h lower-cased into buf (at most its size - 1 bytes): one pass, so each
 * pattern below is a plain strstr (this runs on every ingest request). */
static const char *lower(const char *h, size_t n, char *buf, size_t cap)
{
    if (n > cap - 1) n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
    buf[n] = '\0';
    return buf;
}

const char *dp_bot_prefetch(const dp_http_req *r)
{
    char buf[512];
    size_t n;
    const char *v = dp_http_req_header(r, "sec-purpose", &n);
    if (v == NULL) v = dp_http_req_header(r, "purpose", &n);
    if (v && strstr(lower(v, n, buf, sizeof(buf)), "prefetch")) return "prefetch";
    return NULL;
}

const char *dp_bot_agent(const char *ua, size_t n, int with_token)
{
    char buf[512];
    if (ua == NULL || n == 0) return with_token ? NULL : "bot"; /* browsers always send one */
    lower(ua, n, buf, sizeof(buf));
    for (int i = 0; automata[i]; i++)
        if (strstr(buf, automata[i])) return "bot";
    for (int i = 0; !with_token && scripts[i]; i++)
        if (strstr(buf, scripts[i])) return "bot";
    return NULL;
}
