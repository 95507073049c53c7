/*
 * watchpost/watchpost.h - umbrella header for libwatchpost.
 */
#ifndef WATCHPOST_H
#define WATCHPOST_H

#include "alert.h"
#include "bayes.h"
#include "deliver.h"
#include "engine.h"
#include "finding.h"
#include "intel.h"
#include "limits.h"
#include "report.h"
#include "status.h"
#include "store.h"

#endif
