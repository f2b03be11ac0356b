#include "deckpulse/event.h"

const char *const dp_event_type_names[DP_EV__COUNT] = {"open", "view", "dwell", "action", "close"};
const char *const dp_mode_names[2] = {"self", "live"};

int dp_id_valid(const char *s, size_t n)
{
    if (n == 0 || n > DP_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) return 0;
    }
    return 1;
}
