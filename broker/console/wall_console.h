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
// Thread-safety: every method may be called from any thread. Submit()
// hands the action to the console's own worker thread, so the HTTP thread
// never waits for the broker; Act() does the work where it is called.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

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

// What became of a submitted action; filled in once by the worker.
class ConsoleOutcome {
 public:
  // The answer once the action is done (then nullopt again), else nullopt.
  std::optional<absl::StatusOr<v1::ConsoleReply>> Take();
  void Set(absl::StatusOr<v1::ConsoleReply> result);

 private:
  AnnotatedMutex mutex_;
  std::optional<absl::StatusOr<v1::ConsoleReply>> result_ ABSL_GUARDED_BY(mutex_);
};

class WallConsole {
 public:
  // Actions waiting for the worker, at most; more are refused at once.
  static constexpr size_t kMaxQueued = 16;

  // `sign_in` admits the keys of actions on a broker with a keys file; it
  // must outlive the console.
  explicit WallConsole(ConsoleSignIn& sign_in) : sign_in_(sign_in) {}
  // Waits for the action under way; those still queued fail (Unavailable).
  ~WallConsole();
  WallConsole(const WallConsole&) = delete;
  WallConsole& operator=(const WallConsole&) = delete;

  // Act() on the console's worker thread (one action at a time, in order);
  // the outcome says when it is done.
  std::shared_ptr<ConsoleOutcome> Submit(std::string operator_name, ConsoleAction action,
                                         v1::ConsoleRequest request,
                                         absl::Duration timeout = absl::Seconds(5));

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
  struct Job {
    std::string operator_name;
    ConsoleAction action = ConsoleAction::kPublish;
    v1::ConsoleRequest request;
    absl::Duration timeout;
    std::shared_ptr<ConsoleOutcome> outcome;
  };
  void Work();

  ConsoleSignIn& sign_in_;
  AnnotatedMutex mutex_;
  std::string endpoint_ ABSL_GUARDED_BY(mutex_);
  std::string broker_public_key_ ABSL_GUARDED_BY(mutex_);
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread worker_;  // started by the first Submit, under mutex_
};

}  // namespace zonecast
