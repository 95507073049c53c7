/*
 * privdrop.c - becoming the unprivileged run user, for the daemons (milter, serve).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/privdrop.h"

bool
cli_switch_user(const char *user, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        (void)snprintf(err, errlen, "unknown user '%s'", user);
        return false;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        (void)snprintf(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
        return false;
    }
    if (setuid(0) == 0) { /* paranoia: the switch must be irreversible */
        (void)snprintf(err, errlen, "could regain root after switching to '%s'", user);
        return false;
    }
    return true;
}
