/*
 * analyze.h - the intel module's per-message step (intel/analyze.c).
 */
#ifndef WATCHPOST_INTEL_ANALYZE_H
#define WATCHPOST_INTEL_ANALYZE_H

struct wp_scan;

/* Look up the message's hashes, addresses, domains, URLs and relay IPs in the indicator set
 * (state, a wp_intel_set) and add INTEL_* findings. */
void intel_analyze(struct wp_scan *s, void *state);

#endif
