/*
 * callbacks.h - the libmilter callback table.
 */
#ifndef WATCHPOST_MILTER_CALLBACKS_H
#define WATCHPOST_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

#include "watchpost/store.h"

/* The filter description to smfi_register(); decisions are recorded in store. */
struct smfiDesc *wpm_callbacks(wp_store *store);

#endif
