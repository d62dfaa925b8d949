#pragma once
// Not compiled. The layering check reads this file as if it sat in
// broker/journal/ and must fail on it: the journal may not use the core loop.
#include "core/core_loop.h"
