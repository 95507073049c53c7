/*
 * watchpost/deliver.h - handing a released message back to the mail flow (docs/STORE.md).
 *
 * The store keeps and indexes quarantined messages; this module sends one out again over
 * SMTP. It is apart from the store so that the store depends on SQLite and the file system
 * only, never on the SMTP client (docs/DESIGN.md, ctest layering_lib).
 *
 * Ownership: nothing returned; the message stays the caller's.
 * Thread safety: calls on different messages may run at once.
 * Errors: WP_EINVAL for a message that may not be sent (see below), WP_EIO with the server's
 * reply when it is refused or unreachable; err names the reason.
 */
#ifndef WATCHPOST_DELIVER_H
#define WATCHPOST_DELIVER_H

#include <stddef.h>

#include "status.h"
#include "store.h"

/* Sends m over SMTP to smtp_url (smtp[s]://host:port or host:port): envelope sender and
 * recipients as recorded, the original bytes behind one "X-Watchpost-Released: REF by BY;
 * DATE" header. Use a listener that does not run the milter again. Does not change the
 * store: the caller claims the message first (wp_store_quarantine_claim) and marks it
 * released after this succeeds. */
WP_API wp_status wp_deliver_reinject(const wp_quarantine_message *m, const char *smtp_url,
                                     const char *by, long timeout_ms, char *err, size_t errlen);

#endif
