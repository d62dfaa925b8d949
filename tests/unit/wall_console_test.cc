// WallConsole without a broker: what it checks before connecting, and its
// worker thread's outcomes (the actions against a real broker are in
// tests/integration/console_test.cc).
#include "console/wall_console.h"

#include <memory>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::HasSubstr;

// The outcome's answer, waited for up to 10 s.
std::optional<absl::StatusOr<v1::ConsoleReply>> AwaitOutcome(ConsoleOutcome& outcome) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    if (std::optional<absl::StatusOr<v1::ConsoleReply>> reply = outcome.Take()) return reply;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return std::nullopt;
}

TEST(WallConsoleTest, NamesTheFiveActions) {
  EXPECT_EQ(ParseConsoleAction("publish"), ConsoleAction::kPublish);
  EXPECT_EQ(ParseConsoleAction("amend"), ConsoleAction::kAmend);
  EXPECT_EQ(ParseConsoleAction("assign"), ConsoleAction::kAssign);
  EXPECT_EQ(ParseConsoleAction("cancel"), ConsoleAction::kCancel);
  EXPECT_EQ(ParseConsoleAction("close"), ConsoleAction::kClose);
  EXPECT_FALSE(ParseConsoleAction("operator").has_value());
  EXPECT_FALSE(ParseConsoleAction("").has_value());
}

TEST(WallConsoleTest, RefusesWhatAnActionLacksBeforeConnecting) {
  ConsoleSignIn sign_in;
  WallConsole console(sign_in);
  struct Case {
    ConsoleAction action;
    const char* topic;
    const char* alert_id;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {ConsoleAction::kPublish, "", "", "topic"},
           {ConsoleAction::kPublish, "alert.jincheng.z03", "", "title"},
           {ConsoleAction::kCancel, "alert.jincheng.z03", "", "alert_id"},
           {ConsoleAction::kCancel, "alert.jincheng.z03", "a-1", "reason"},
           {ConsoleAction::kAssign, "alert.jincheng.z03", "a-1", "unit"},
           {ConsoleAction::kAmend, "alert.jincheng.z03", "a-1", "what changes"},
       }) {
    v1::ConsoleRequest request;
    request.set_topic(c.topic);
    request.set_alert_id(c.alert_id);
    absl::StatusOr<v1::ConsoleReply> reply = console.Act("li-wei", c.action, request);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(reply.status().message(), HasSubstr(c.error));
  }
}

TEST(WallConsoleTest, SubmittedActionsAreAnsweredOnTheWorker) {
  ConsoleSignIn sign_in;
  WallConsole console(sign_in);
  v1::ConsoleRequest request;
  request.set_topic("alert.jincheng.z03");
  request.set_priority(v1::P2);
  request.set_title("Drunk man asleep on the road");
  // No broker yet (the loop has not started): Unavailable, not a hang.
  std::shared_ptr<ConsoleOutcome> outcome =
      console.Submit("li-wei", ConsoleAction::kPublish, request);
  std::optional<absl::StatusOr<v1::ConsoleReply>> reply = AwaitOutcome(*outcome);
  ASSERT_TRUE(reply.has_value()) << "no answer within 10 s";
  EXPECT_EQ(reply->status().code(), absl::StatusCode::kUnavailable);
  // Taken once.
  EXPECT_FALSE(outcome->Take().has_value());
  // A bad request fails on the worker the same way as in place.
  request.clear_title();
  reply = AwaitOutcome(*console.Submit("li-wei", ConsoleAction::kPublish, request));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zonecast
