/*
 * actions.h - end of message: scan what was collected and carry out the verdict.
 *
 *   deliver, tag   record the decision, add X-Watchpost-* headers, accept
 *   quarantine     durable copy in our spool first, then discard (Postfix forgets it); a
 *                  message larger than what we kept is also put on Postfix's hold queue
 *                  instead of discarded, so the whole message survives somewhere
 *   reject         durable copy, then 550 5.7.1 naming only the quarantine reference
 *   any error      tempfail: never accept what we could not record, never drop
 */
#ifndef WATCHPOST_MILTER_ACTIONS_H
#define WATCHPOST_MILTER_ACTIONS_H

#include <libmilter/mfapi.h>

#include "msg.h"
#include "watchpost/alert.h"
#include "watchpost/store.h"

#define WPM_MAX_FINDINGS_HDR 512 /* bytes of the X-Watchpost-Findings value */

sfsistat wpm_end_of_message(SMFICTX *ctx, wpm_conn *c, wp_store *store);

/* Where decisions are pushed (the daemon's alerter, or NULL). */
void wpm_actions_set_alerter(wp_alerter *a);

#endif
