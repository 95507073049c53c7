/*
 * sender.h - how the From header is written: signs of bulk tools and evasion that need no
 * knowledge of any brand or organisation.
 */
#ifndef WATCHPOST_ANALYZE_SENDER_H
#define WATCHPOST_ANALYZE_SENDER_H

#include "engine/scan.h"

/* Emits FROM_MULTIPLE, FROM_RANDOM_LOCALPART, FROM_NAME_UNRELATED and HDR_OBFUSCATED_UNICODE
 * findings for the message's From (and Subject, for the last). */
void wp_sender_checks(wp_scan *s);

#endif
