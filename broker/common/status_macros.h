#pragma once
// Early-return helpers for absl::Status and absl::StatusOr.
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ZC_STATUS_CONCAT_INNER(a, b) a##b
#define ZC_STATUS_CONCAT(a, b) ZC_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                               \
  do {                                                      \
    if (absl::Status zc_status = (expr); !zc_status.ok()) { \
      return zc_status;                                     \
    }                                                       \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an OK StatusOr or
// returns its error status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ZC_ASSIGN_OR_RETURN_IMPL(ZC_STATUS_CONCAT(zc_statusor_, __LINE__), lhs, expr)
#define ZC_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)      \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
