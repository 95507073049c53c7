/*
 * watchpost/status.h - status codes returned by every fallible libwatchpost call.
 *
 * Ownership: wp_strerror() returns a static string. Thread safety: all functions here are
 * thread-safe. A call that fails writes its out-parameters only on success.
 */
#ifndef WATCHPOST_STATUS_H
#define WATCHPOST_STATUS_H

#if defined(__GNUC__)
#define WP_API          __attribute__((visibility("default")))
#define WP_NODISCARD    __attribute__((warn_unused_result))
#define WP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WP_API
#define WP_NODISCARD
#define WP_PRINTF(a, b)
#endif

typedef enum wp_status {
    WP_OK = 0,
    WP_ENOMEM,   /* allocation failed or a memory budget was exhausted */
    WP_ELIMIT,   /* an input limit was reached */
    WP_EPARSE,   /* input is not in the expected format */
    WP_EIO,      /* reading or writing a file failed */
    WP_EINVAL,   /* a caller passed an invalid argument or configuration value */
    WP_ETIMEOUT, /* an operation ran out of time */
    WP_ENOTFOUND,
    WP_EINTERNAL /* a dependency failed in a way that is not the input's fault */
} wp_status;

WP_API const char *wp_strerror(wp_status st);

#endif
