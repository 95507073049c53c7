/*
 * common/privdrop.h - switching to the run user (privdrop.c).
 */
#ifndef WATCHPOST_COMMON_PRIVDROP_H
#define WATCHPOST_COMMON_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Groups, gid and uid of user, for good (setuid(0) must fail afterwards); err says why not. */
bool cli_switch_user(const char *user, char *err, size_t errlen);

#endif
