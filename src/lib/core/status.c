/*
 * status.c - wp_strerror() and the library version.
 */
#include "watchpost/status.h"
#include "watchpost/engine.h"

const char *
wp_strerror(wp_status st)
{
    switch (st) {
    case WP_OK:
        return "success";
    case WP_ENOMEM:
        return "out of memory or memory budget exhausted";
    case WP_ELIMIT:
        return "input limit reached";
    case WP_EPARSE:
        return "input could not be parsed";
    case WP_EIO:
        return "input/output error";
    case WP_EINVAL:
        return "invalid argument";
    case WP_ETIMEOUT:
        return "timed out";
    case WP_ENOTFOUND:
        return "not found";
    case WP_EINTERNAL:
        return "internal error in a dependency";
    }
    return "unknown status";
}

const char *
wp_version(void)
{
    return WP_VERSION_STRING;
}
