#pragma once
// WallConsole: the dispatcher's actions from the wall's page (publish,
// amend, assign, cancel, close), carried out as a center client of the
// broker's own endpoint. Each action is one short session of the operator
// who signed in: it goes through the Hello, the access policy, the journal
// and the PubAck after the disk exactly as the same command from the CLI
// would, and the timeline names the operator.
//
// With a keys file the operator is the center identity their wall token
// names (ConsoleSignIn), and each action connects over CURVE with a key
// pair made for it and admitted for that operator only while it runs.
// Without one, operators are who they say, as every client there.
//
// An action's session has the operator's identity, so it takes over a
// session of the same identity that is open elsewhere (the broker keeps
// one session per unit id); an operator who keeps `zonecast watch` open
// while working on the wall should have a second identity for it.
//
// Thread-safety: Act() may be called from any thread, one call at a time
// per thread; the HTTP thread calls it.
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/console_sign_in.h"
#include "shared/annotated_mutex.h"
#include "zonecast/console.pb.h"

namespace zonecast {

enum class ConsoleAction { kPublish, kAmend, kAssign, kCancel, kClose };

// "publish" -> kPublish ...; nullopt for another word.
std::optional<ConsoleAction> ParseConsoleAction(absl::string_view name);

class WallConsole {
 public:
  // `sign_in` admits the keys of actions on a broker with a keys file; it
  // must outlive the console.
  explicit WallConsole(ConsoleSignIn& sign_in) : sign_in_(sign_in) {}

  // Where the actions connect: the broker's bound endpoint (a wildcard
  // address is reached on loopback) and, with a keys file, its public key
  // (Z85). Until set, Act() answers Unavailable.
  void SetBroker(absl::string_view endpoint, std::string broker_public_key);

  // Carries `request` out as `operator_name` and returns the broker's
  // answer. Errors are the broker's (InvalidArgument, PermissionDenied,
  // FailedPrecondition for an alert that is not open, NotFound for an
  // unknown zone, ...), InvalidArgument for a request that lacks what the
  // action needs, Unavailable or DeadlineExceeded when the broker does not
  // answer within `timeout`.
  absl::StatusOr<v1::ConsoleReply> Act(const std::string& operator_name, ConsoleAction action,
                                       v1::ConsoleRequest request,
                                       absl::Duration timeout = absl::Seconds(5));

 private:
  ConsoleSignIn& sign_in_;
  AnnotatedMutex mutex_;
  std::string endpoint_ ABSL_GUARDED_BY(mutex_);
  std::string broker_public_key_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace zonecast
