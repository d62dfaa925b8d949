#pragma once
// Invariant checks (Envoy's tiers): ZC_CHECK is always on and fatal, for broken
// invariants only, never for bad input. ZC_DCHECK is for costly checks and is
// compiled out in NDEBUG builds. Untrusted input gets a Status, not a check.
#include "common/log.h"

#define ZC_CHECK(condition) (condition) ? (void)0 : ZC_LOG(FATAL) << "Check failed: " #condition " "

#ifdef NDEBUG
#define ZC_DCHECK(condition) \
  while (false) ZC_CHECK(condition)
#else
#define ZC_DCHECK(condition) ZC_CHECK(condition)
#endif
