#include "routing/access_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "shared/wire_status.h"
#include "zonecast/domain.pb.h"
#include "zonecast/wire.pb.h"

namespace zonecast {
namespace {

constexpr char kUnit[] = "jc-z03-v12";
constexpr char kAlertTopic[] = "alert.jincheng.z03";
constexpr char kOwnRadioTopic[] = "radio.jincheng.z03.jc-z03-v12";

class AccessPolicyTest : public ::testing::Test {
 protected:
  static v1::Publish AlertPublish(const std::string& topic, const std::string& alert_id,
                                  v1::Priority priority) {
    v1::Publish publish;
    publish.set_request_id(1);
    publish.set_topic(topic);
    v1::Alert* alert = publish.mutable_event()->mutable_alert();
    alert->set_alert_id(alert_id);
    alert->set_topic(topic);
    alert->set_priority(priority);
    alert->set_title("Person on the Lanhua bridge");
    return publish;
  }

  static v1::Publish RadioPublish(const std::string& topic, v1::RadioEvent::Kind kind,
                                  v1::Priority priority = v1::PRIORITY_UNSPECIFIED) {
    v1::Publish publish;
    publish.set_topic(topic);
    publish.set_priority(priority);
    v1::RadioEvent* radio = publish.mutable_event()->mutable_radio();
    radio->set_kind(kind);
    return publish;
  }

  static v1::Publish CanaryPublish(const std::string& topic,
                                   v1::Priority priority = v1::PRIORITY_UNSPECIFIED) {
    v1::Publish publish;
    publish.set_topic(topic);
    publish.set_priority(priority);
    publish.mutable_event()->mutable_canary()->set_probe("probe-1");
    return publish;
  }

  // Expects `result` to be an error with canonical code `canonical` and wire code `code`.
  static void ExpectError(const absl::StatusOr<PublishClass>& result, absl::StatusCode canonical,
                          v1::ErrorCode code) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), canonical) << result.status();
    EXPECT_EQ(ErrorCodeOf(result.status()), code) << result.status();
  }
};

TEST_F(AccessPolicyTest, CenterMayPublishAlertDurableWithItsPriority) {
  for (v1::Priority priority : {v1::P1, v1::P2, v1::P3, v1::P4}) {
    SCOPED_TRACE(v1::Priority_Name(priority));
    const absl::StatusOr<PublishClass> result =
        ClassifyPublish(v1::CENTER, "center-1", AlertPublish(kAlertTopic, "a-1", priority));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->durable);
    EXPECT_EQ(result->priority, priority);
  }
}

TEST_F(AccessPolicyTest, AlertPriorityComesFromAlertNotPublish) {
  v1::Publish publish = AlertPublish(kAlertTopic, "a-1", v1::P2);
  publish.set_priority(v1::P4);
  const absl::StatusOr<PublishClass> result = ClassifyPublish(v1::CENTER, "center-1", publish);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->priority, v1::P2);
  EXPECT_TRUE(result->durable);
}

TEST_F(AccessPolicyTest, TerminalMayNotPublishAlert) {
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit, AlertPublish(kAlertTopic, "a-1", v1::P1)),
              absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
}

TEST_F(AccessPolicyTest, ProbeMayNotPublishAlert) {
  ExpectError(ClassifyPublish(v1::PROBE, "probe-1", AlertPublish(kAlertTopic, "a-1", v1::P1)),
              absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
}

TEST_F(AccessPolicyTest, UnspecifiedRoleMayNotPublishAlert) {
  ExpectError(ClassifyPublish(v1::ROLE_UNSPECIFIED, "x", AlertPublish(kAlertTopic, "a-1", v1::P1)),
              absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
}

TEST_F(AccessPolicyTest, AlertWithoutAlertIdIsInvalidArgument) {
  ExpectError(ClassifyPublish(v1::CENTER, "center-1", AlertPublish(kAlertTopic, "", v1::P1)),
              absl::StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, AlertWithoutPriorityIsInvalidArgument) {
  ExpectError(ClassifyPublish(v1::CENTER, "center-1",
                              AlertPublish(kAlertTopic, "a-1", v1::PRIORITY_UNSPECIFIED)),
              absl::StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, AlertWithOutOfRangePriorityIsInvalidArgument) {
  // proto3 enums are open: a newer client can send a value we do not know.
  ExpectError(ClassifyPublish(v1::CENTER, "center-1",
                              AlertPublish(kAlertTopic, "a-1", static_cast<v1::Priority>(5))),
              absl::StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, AlertTopicMustNameCityAndZone) {
  for (const char* topic : {"alert", "alert.jincheng", "alert.jincheng.z03.extra"}) {
    SCOPED_TRACE(topic);
    ExpectError(ClassifyPublish(v1::CENTER, "center-1", AlertPublish(topic, "a-1", v1::P1)),
                absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
  }
}

TEST_F(AccessPolicyTest, ProbeTopicNeedsANameAfterTheFamily) {
  ExpectError(ClassifyPublish(v1::PROBE, "probe-1", CanaryPublish("probe")),
              absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
}

TEST_F(AccessPolicyTest, AlertTopicWithoutAlertPayloadIsInvalidArgument) {
  v1::Publish empty;
  empty.set_topic(kAlertTopic);
  ExpectError(ClassifyPublish(v1::CENTER, "center-1", empty), absl::StatusCode::kInvalidArgument,
              v1::INVALID_ARGUMENT);

  v1::Publish radio = RadioPublish(kAlertTopic, v1::RadioEvent::STATUS);
  ExpectError(ClassifyPublish(v1::CENTER, "center-1", radio), absl::StatusCode::kInvalidArgument,
              v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, TerminalMayPublishOnItsOwnRadioTopic) {
  const absl::StatusOr<PublishClass> result =
      ClassifyPublish(v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::STATUS));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->durable);
}

TEST_F(AccessPolicyTest, TerminalMayNotPublishOnAnotherUnitsRadioTopic) {
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit,
                              RadioPublish("radio.jincheng.z03.other", v1::RadioEvent::STATUS)),
              absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
}

TEST_F(AccessPolicyTest, CenterMayPublishOnAnyUnitsRadioTopic) {
  const absl::StatusOr<PublishClass> result = ClassifyPublish(
      v1::CENTER, "center-1", RadioPublish("radio.jincheng.z03.other", v1::RadioEvent::TEXT));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->durable);
  EXPECT_EQ(result->priority, v1::P3);
}

TEST_F(AccessPolicyTest, ProbeMayNotPublishOnRadioTopic) {
  ExpectError(ClassifyPublish(v1::PROBE, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::TEXT)),
              absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
}

TEST_F(AccessPolicyTest, RadioTopicWithThreeTokensIsInvalidTopic) {
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit,
                              RadioPublish("radio.jincheng.z03", v1::RadioEvent::STATUS)),
              absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
}

TEST_F(AccessPolicyTest, RadioTopicWithFiveTokensIsInvalidTopic) {
  ExpectError(
      ClassifyPublish(v1::TERMINAL, kUnit,
                      RadioPublish("radio.jincheng.z03.jc-z03-v12.extra", v1::RadioEvent::STATUS)),
      absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
  ExpectError(
      ClassifyPublish(v1::CENTER, "center-1",
                      RadioPublish("radio.jincheng.z03.jc-z03-v12.extra", v1::RadioEvent::STATUS)),
      absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
}

TEST_F(AccessPolicyTest, RadioTopicWithoutRadioEventIsInvalidArgument) {
  v1::Publish publish;
  publish.set_topic(kOwnRadioTopic);
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit, publish), absl::StatusCode::kInvalidArgument,
              v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, RadioEventUnitMustMatchTopic) {
  v1::Publish publish = RadioPublish(kOwnRadioTopic, v1::RadioEvent::STATUS);
  publish.mutable_event()->mutable_radio()->set_unit("jc-z03-v99");
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit, publish), absl::StatusCode::kInvalidArgument,
              v1::INVALID_ARGUMENT);

  publish.mutable_event()->mutable_radio()->set_unit(kUnit);
  EXPECT_TRUE(ClassifyPublish(v1::TERMINAL, kUnit, publish).ok());
}

TEST_F(AccessPolicyTest, RadioEventWithoutKindIsInvalidArgument) {
  ExpectError(ClassifyPublish(v1::TERMINAL, kUnit,
                              RadioPublish(kOwnRadioTopic, v1::RadioEvent::KIND_UNSPECIFIED)),
              absl::StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT);
}

TEST_F(AccessPolicyTest, PositionIsBestEffortP4) {
  const absl::StatusOr<PublishClass> result =
      ClassifyPublish(v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::POSITION));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->durable);
  EXPECT_EQ(result->priority, v1::P4);
}

TEST_F(AccessPolicyTest, EmergencyIsDurableP1EvenIfPublishAsksP4) {
  const absl::StatusOr<PublishClass> result = ClassifyPublish(
      v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::EMERGENCY, v1::P4));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->durable);
  EXPECT_EQ(result->priority, v1::P1);
}

TEST_F(AccessPolicyTest, StatusIsDurableP3ByDefault) {
  const absl::StatusOr<PublishClass> result =
      ClassifyPublish(v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::STATUS));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->durable);
  EXPECT_EQ(result->priority, v1::P3);
}

TEST_F(AccessPolicyTest, StatusHonoursPublishPriority) {
  const absl::StatusOr<PublishClass> result = ClassifyPublish(
      v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, v1::RadioEvent::STATUS, v1::P2));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->durable);
  EXPECT_EQ(result->priority, v1::P2);
}

TEST_F(AccessPolicyTest, PushToTalkIsBestEffortP3) {
  for (v1::RadioEvent::Kind kind : {v1::RadioEvent::PTT_START, v1::RadioEvent::PTT_END}) {
    SCOPED_TRACE(v1::RadioEvent::Kind_Name(kind));
    const absl::StatusOr<PublishClass> result =
        ClassifyPublish(v1::TERMINAL, kUnit, RadioPublish(kOwnRadioTopic, kind));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->durable);
    EXPECT_EQ(result->priority, v1::P3);
  }
}

TEST_F(AccessPolicyTest, ProbeTopicIsBestEffortForEveryRole) {
  for (v1::Role role : {v1::CENTER, v1::TERMINAL, v1::PROBE}) {
    SCOPED_TRACE(v1::Role_Name(role));
    const absl::StatusOr<PublishClass> result =
        ClassifyPublish(role, "unit-1", CanaryPublish("probe.canary.probe-1"));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->durable);
    EXPECT_EQ(result->priority, v1::P4);
  }
}

TEST_F(AccessPolicyTest, ProbeTopicHonoursPublishPriorityButStaysBestEffort) {
  const absl::StatusOr<PublishClass> result =
      ClassifyPublish(v1::PROBE, "probe-1", CanaryPublish("probe.canary", v1::P1));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->durable);
  EXPECT_EQ(result->priority, v1::P1);
}

TEST_F(AccessPolicyTest, BrokerOnlyFamiliesArePermissionDenied) {
  for (const char* topic :
       {"ack.jincheng.z03", "escalation.jincheng.z03", "sys.presence.jc-z03-v12", "dlq.alerts"}) {
    for (v1::Role role : {v1::CENTER, v1::TERMINAL, v1::PROBE}) {
      SCOPED_TRACE(std::string(topic) + " " + v1::Role_Name(role));
      ExpectError(ClassifyPublish(role, kUnit, CanaryPublish(topic)),
                  absl::StatusCode::kPermissionDenied, v1::PERMISSION_DENIED);
    }
  }
}

TEST_F(AccessPolicyTest, UnknownFamilyIsInvalidTopic) {
  for (v1::Role role : {v1::CENTER, v1::TERMINAL, v1::PROBE}) {
    SCOPED_TRACE(v1::Role_Name(role));
    ExpectError(ClassifyPublish(role, kUnit, CanaryPublish("foo.bar")),
                absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
  }
}

TEST_F(AccessPolicyTest, FamilyMatchIsOnWholeFirstToken) {
  // "alerts" and "radios" are not the alert and radio families.
  ExpectError(ClassifyPublish(v1::CENTER, "center-1", AlertPublish("alerts.x", "a-1", v1::P1)),
              absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
  ExpectError(
      ClassifyPublish(v1::TERMINAL, kUnit,
                      RadioPublish("radios.jincheng.z03.jc-z03-v12", v1::RadioEvent::STATUS)),
      absl::StatusCode::kInvalidArgument, v1::INVALID_TOPIC);
}

TEST_F(AccessPolicyTest, RoleNames) {
  EXPECT_EQ(RoleName(v1::CENTER), "center");
  EXPECT_EQ(RoleName(v1::TERMINAL), "terminal");
  EXPECT_EQ(RoleName(v1::PROBE), "probe");
  EXPECT_EQ(RoleName(v1::ROLE_UNSPECIFIED), "unknown");
}

}  // namespace
}  // namespace zonecast
