// Security against the real zonecastd with a keys file: CURVE on the wire,
// only known keys connect, each as the identity its key is bound to, and
// each identity only where its grants reach. Every refusal is an Error with
// its own code and a counter, and the refused session stays up.
//
// The keys are made by the library's own key generation and written as
// `zonecast keygen` writes them; the keys file is the Jincheng scenario in
// small: the center, two patrol units of different zones, a probe.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shared/curve_keys.h"
#include "shared/proto_json.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::ClientOptions;
using zonecast::CurveKeys;
using zonecast::Message;
using zonecast::testing::BrokerProcess;
using zonecast::testing::Counter;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::NextDeliver;
using zonecast::testing::TakeStrayError;
using zonecast::testing::TestClientOptions;
using zonecast::testing::WaitUntil;

constexpr absl::Duration kWait = absl::Seconds(5);
constexpr char kZ03[] = "alert.jincheng.z03";
constexpr char kZ10[] = "alert.jincheng.z10";
constexpr char kCenter[] = "center-op-1";
constexpr char kUnitZ10[] = "jc-z10-v01";
constexpr char kUnitZ10b[] = "jc-z10-v02";
constexpr char kUnitZ03[] = "jc-z03-v01";
constexpr char kProbe[] = "probe-1";

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = zonecast::testing::MakeTempDir("zonecast-security");
    for (const char* name :
         {"broker", kCenter, kUnitZ10, kUnitZ10b, kUnitZ03, kProbe, "stranger"}) {
      absl::StatusOr<CurveKeys> keys = zonecast::GenerateCurveKeys();
      ASSERT_TRUE(keys.ok()) << keys.status();
      ASSERT_TRUE(
          zonecast::WriteCurveKeyFiles(*keys, KeyFile(name), absl::StrCat(dir_, "/", name, ".pub"))
              .ok());
      public_keys_[name] = keys->public_key;
    }
    WriteKeysFile({Grant(kCenter, "CENTER"), Grant(kUnitZ10, "TERMINAL", R"("zones": ["z10"])"),
                   Grant(kUnitZ10b, "TERMINAL", R"("zones": ["z10"])"),
                   Grant(kUnitZ03, "TERMINAL", R"("zones": ["z03"])"), Grant(kProbe, "PROBE")});
    auto broker = BrokerProcess::Start({absl::StrCat("--keys_file=", dir_, "/keys.json"),
                                        absl::StrCat("--key_file=", KeyFile("broker")),
                                        "--dispatch_listen=tcp://127.0.0.1:*"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  // One grant of the keys file, for the key made for `name`; `more` adds
  // fields ("zones": [...]).
  std::string Grant(const std::string& name, const std::string& role,
                    const std::string& more = "") {
    return absl::StrCat(R"({"public_key": ")", public_keys_[name], R"(", "identity": ")", name,
                        R"(", "role": ")", role, R"(")", more.empty() ? "" : ", ", more, "}");
  }
  void WriteKeysFile(const std::vector<std::string>& grants) {
    std::ofstream(absl::StrCat(dir_, "/keys.json"))
        << R"({"city": "jincheng", "grants": [)" << absl::StrJoin(grants, ",") << "]}";
  }
  // SIGHUP: the broker reads the keys file again.
  void Reload() { ASSERT_EQ(::kill(broker_->pid(), SIGHUP), 0); }

  std::string KeyFile(const std::string& name) const {
    return absl::StrCat(dir_, "/", name, ".key");
  }

  // Options of a client holding `key`'s secret key file, claiming `role`
  // and `unit_id` in its Hello; on the consoles' endpoint with `dispatch`.
  ClientOptions Options(const std::string& key, v1::Role role, const std::string& unit_id,
                        bool dispatch = false) {
    ClientOptions options = TestClientOptions(
        dispatch ? broker_->dispatch_endpoint() : broker_->endpoint(), role, unit_id);
    absl::Status loaded =
        zonecast::LoadKeyFiles(KeyFile(key), absl::StrCat(dir_, "/broker.pub"), &options);
    EXPECT_TRUE(loaded.ok()) << loaded;
    return options;
  }

  std::unique_ptr<Client> Connect(const std::string& key, v1::Role role,
                                  const std::string& unit_id = "") {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(Options(key, role, unit_id));
    EXPECT_TRUE(client.ok()) << key << ": " << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The Error the broker sends `client` outside any request (for an ack),
  // waited for; OK (and a test failure) if none comes.
  static absl::Status AwaitStrayError(Client& client) {
    absl::Status error;
    EXPECT_TRUE(WaitUntil(
        [&] {
          error = TakeStrayError(client);
          return !error.ok();
        },
        kWait))
        << "no Error came";
    return error;
  }

  // The center publishes the P1 alert "bridge" for zone z10, which `unit`
  // (a z10 terminal) subscribes to first; the delivery `unit` gets.
  static std::optional<Message> BridgeAlertTo(Client& center, Client& unit) {
    EXPECT_TRUE(unit.Subscribe({kZ10}).ok());
    absl::StatusOr<zonecast::PublishResult> sent =
        center.PublishAlert(kZ10, MakeAlert("bridge", v1::P1));
    EXPECT_TRUE(sent.ok()) << sent.status();
    return sent.ok() ? NextDeliver(unit, kWait) : std::nullopt;
  }

  uint64_t CenterCounter(Client& center, const std::string& name) {
    absl::StatusOr<v1::StatsSnapshot> stats = center.Stats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? Counter(*stats, name) : 0;
  }

  std::string dir_;
  std::map<std::string, std::string> public_keys_;
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(SecurityTest, KnownKeysConnectAsTheirIdentityAndAlertsFlow) {
  // The center's Hello names nobody: the broker names the session after the
  // key's identity.
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> terminal = Connect(kUnitZ10, v1::TERMINAL, kUnitZ10);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(terminal, nullptr);
  EXPECT_EQ(center->session().unit_id, kCenter);
  EXPECT_EQ(terminal->session().unit_id, kUnitZ10);

  ASSERT_TRUE(terminal->Subscribe({kZ10}).ok());
  absl::StatusOr<zonecast::PublishResult> ack =
      center->PublishAlert(kZ10, MakeAlert("lanhua-bridge", v1::P1));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->recipients(), 1u);
  std::optional<Message> got = NextDeliver(*terminal, kWait);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->event().alert().alert_id(), "lanhua-bridge");
  EXPECT_EQ(got->publisher(), kCenter);
  EXPECT_GE(CenterCounter(*center, "auth_accepted"), 2u);
}

TEST_F(SecurityTest, UnknownKeyIsRefusedAndCounted) {
  absl::StatusOr<std::unique_ptr<Client>> stranger =
      Client::Connect(Options("stranger", v1::CENTER, ""));
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kPermissionDenied) << stranger.status();
  EXPECT_TRUE(absl::StrContains(stranger.status().message(), "refused this client's key"))
      << stranger.status();

  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  ASSERT_NE(center, nullptr);
  EXPECT_GE(CenterCounter(*center, "auth_refused_unknown_key"), 1u);
  EXPECT_GE(CenterCounter(*center, "handshakes_failed_refused"), 1u);
}

TEST_F(SecurityTest, PlainClientIsRefusedAndCounted) {
  absl::StatusOr<std::unique_ptr<Client>> plain =
      Client::Connect(TestClientOptions(broker_->endpoint(), v1::CENTER, "center-plain"));
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kFailedPrecondition) << plain.status();
  EXPECT_TRUE(absl::StrContains(plain.status().message(), "wants CURVE keys")) << plain.status();

  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  ASSERT_NE(center, nullptr);
  // Whichever side notices the mismatch first hangs up; the broker counts
  // it as plain, or as a broken handshake when the client was first.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return CenterCounter(*center, "handshakes_failed_plain") +
                   CenterCounter(*center, "handshakes_failed_protocol") >=
               1;
      },
      kWait));
  EXPECT_EQ(CenterCounter(*center, "sessions_opened"), 1u) << "the plain client got a session";
}

// The consoles' endpoint (--dispatch_listen) is as closed as the main one:
// same keys, same identities, and no terminal may queue up there.
TEST_F(SecurityTest, DispatchEndpointTakesConsolesWithKeysOnly) {
  ASSERT_FALSE(broker_->dispatch_endpoint().empty()) << "no dispatch= in the ready file";
  ASSERT_NE(broker_->dispatch_endpoint(), broker_->endpoint());

  absl::StatusOr<std::unique_ptr<Client>> plain =
      Client::Connect(TestClientOptions(broker_->dispatch_endpoint(), v1::CENTER, "center-plain"));
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kFailedPrecondition) << plain.status();

  absl::StatusOr<std::unique_ptr<Client>> terminal_there =
      Client::Connect(Options(kUnitZ10b, v1::TERMINAL, kUnitZ10b, /*dispatch=*/true));
  ASSERT_FALSE(terminal_there.ok());
  EXPECT_EQ(terminal_there.status().code(), absl::StatusCode::kPermissionDenied)
      << terminal_there.status();
  EXPECT_THAT(std::string(terminal_there.status().message()), HasSubstr("--listen"));

  // A console there publishes as its key's identity to terminals on the
  // main endpoint, and hears their acks.
  absl::StatusOr<std::unique_ptr<Client>> center =
      Client::Connect(Options(kCenter, v1::CENTER, "", /*dispatch=*/true));
  ASSERT_TRUE(center.ok()) << center.status();
  EXPECT_EQ((*center)->session().unit_id, kCenter);
  std::unique_ptr<Client> terminal = Connect(kUnitZ10, v1::TERMINAL, kUnitZ10);
  ASSERT_NE(terminal, nullptr);
  std::optional<Message> got = BridgeAlertTo(**center, *terminal);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->publisher(), kCenter);
  bool heard_received = false;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<Message> event = (*center)->Next(absl::Milliseconds(100));
        heard_received = event.ok() && event->event().has_ack() &&
                         event->event().ack().level() == v1::RECEIVED &&
                         event->event().ack().unit() == kUnitZ10;
        return heard_received;
      },
      kWait));
  EXPECT_GE(CenterCounter(**center, "handshakes_failed_plain") +
                CenterCounter(**center, "handshakes_failed_protocol"),
            1u);
}

TEST_F(SecurityTest, HelloCannotClaimAnotherUnitOrRole) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z10 = Connect(kUnitZ10, v1::TERMINAL, kUnitZ10);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z10, nullptr);

  // The z03 unit's key, claiming to be the z10 unit: refused, and the z10
  // unit's session is not taken over.
  absl::StatusOr<std::unique_ptr<Client>> impostor =
      Client::Connect(Options(kUnitZ03, v1::TERMINAL, kUnitZ10));
  ASSERT_FALSE(impostor.ok());
  EXPECT_EQ(impostor.status().code(), absl::StatusCode::kPermissionDenied) << impostor.status();
  EXPECT_TRUE(absl::StartsWith(impostor.status().message(), "IDENTITY_MISMATCH"))
      << impostor.status();
  // A terminal's key claiming the center's role: refused too.
  absl::StatusOr<std::unique_ptr<Client>> fake_center =
      Client::Connect(Options(kUnitZ03, v1::CENTER, ""));
  ASSERT_FALSE(fake_center.ok());
  EXPECT_TRUE(absl::StartsWith(fake_center.status().message(), "IDENTITY_MISMATCH"))
      << fake_center.status();

  EXPECT_EQ(CenterCounter(*center, "session_takeovers"), 0u);
  EXPECT_EQ(CenterCounter(*center, "identity_mismatches"), 2u);
  EXPECT_EQ(CenterCounter(*center, "errors.IDENTITY_MISMATCH"), 2u);
  ASSERT_TRUE(z10->Subscribe({kZ10}).ok()) << "the real unit lost its session";
  EXPECT_TRUE(z10->connected());
}

TEST_F(SecurityTest, TerminalSubscribesAndReadsOnlyItsZone) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z03, nullptr);

  for (const char* pattern : {kZ10, "alert.>", "alert.jincheng.*", ">", "radio.>"}) {
    absl::Status status = z03->Subscribe({pattern});
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << pattern << ": " << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), "SUBSCRIBE_DENIED")) << status;
  }
  // The session stays up and may subscribe where it belongs.
  EXPECT_TRUE(z03->Subscribe({kZ03, "radio.jincheng.*.jc-z03-v01"}).ok());

  absl::StatusOr<zonecast::HistoryPage> history = z03->History({"alert.>"});
  EXPECT_EQ(history.status().code(), absl::StatusCode::kPermissionDenied) << history.status();
  EXPECT_TRUE(z03->History({kZ03}).ok());
  absl::StatusOr<v1::AlertTimeline> timeline = z03->Timeline("any-alert");
  EXPECT_EQ(timeline.status().code(), absl::StatusCode::kPermissionDenied) << timeline.status();
  EXPECT_TRUE(absl::StartsWith(timeline.status().message(), "READ_DENIED")) << timeline.status();

  EXPECT_EQ(CenterCounter(*center, "errors.SUBSCRIBE_DENIED"), 6u);
  EXPECT_EQ(CenterCounter(*center, "errors.READ_DENIED"), 1u);
}

TEST_F(SecurityTest, TerminalPublishesOnlyRadioAboutItself) {
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(z03, nullptr);
  absl::StatusOr<zonecast::PublishResult> alert = z03->PublishAlert(kZ03, MakeAlert("forged"));
  EXPECT_EQ(alert.status().code(), absl::StatusCode::kPermissionDenied) << alert.status();
  absl::StatusOr<zonecast::PublishResult> as_other =
      z03->PublishRadio("radio.jincheng.z10.jc-z10-v01", MakePosition(kUnitZ10));
  EXPECT_EQ(as_other.status().code(), absl::StatusCode::kPermissionDenied) << as_other.status();
  absl::StatusOr<zonecast::PublishResult> own =
      z03->PublishRadio("radio.jincheng.z03.jc-z03-v01", MakePosition(kUnitZ03));
  EXPECT_TRUE(own.ok()) << own.status();
}

TEST_F(SecurityTest, TerminalCannotAckAlertsOfAnotherZone) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z10 = Connect(kUnitZ10, v1::TERMINAL, kUnitZ10);
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z10, nullptr);
  ASSERT_NE(z03, nullptr);
  std::optional<Message> delivered = BridgeAlertTo(*center, *z10);
  ASSERT_TRUE(delivered.has_value());

  // The z03 unit forges an ACCEPTED for the z10 alert it never received.
  ASSERT_TRUE(z03->SendAck(*delivered, v1::ACCEPTED, "not mine").ok());
  const absl::Status refused = AwaitStrayError(*z03);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  EXPECT_TRUE(absl::StartsWith(refused.message(), "ACK_DENIED")) << refused;
  // The unit it belongs to may.
  ASSERT_TRUE(z10->SendAck(*delivered, v1::ACCEPTED, "on my way").ok());
  EXPECT_TRUE(WaitUntil([&] { return CenterCounter(*center, "acks.ACCEPTED") == 1; }, kWait));
  EXPECT_EQ(CenterCounter(*center, "errors.ACK_DENIED"), 1u);
}

// A unit of the right zone that was not sent the alert (it was not
// listening) may not answer it either: its ACCEPTED would stop the
// escalation of an alert nobody who got it has taken.
TEST_F(SecurityTest, TerminalRespondsOnlyToAlertsItWasSent) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> listening = Connect(kUnitZ10, v1::TERMINAL, kUnitZ10);
  std::unique_ptr<Client> deaf = Connect(kUnitZ10b, v1::TERMINAL, kUnitZ10b);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(listening, nullptr);
  ASSERT_NE(deaf, nullptr);
  std::optional<Message> delivered = BridgeAlertTo(*center, *listening);
  ASSERT_TRUE(delivered.has_value());

  ASSERT_TRUE(deaf->SendAck(*delivered, v1::ACCEPTED).ok());
  const absl::Status refused = AwaitStrayError(*deaf);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "ACK_DENIED")) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "was not sent alert bridge")) << refused;
  EXPECT_EQ(CenterCounter(*center, "acks.ACCEPTED"), 0u);
}

TEST_F(SecurityTest, ProbeReadsOnlyProbeAndSystemTopics) {
  std::unique_ptr<Client> probe = Connect(kProbe, v1::PROBE, kProbe);
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->Subscribe({"alert.>"}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(probe->Subscribe({kZ10}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(probe->History({"alert.>"}).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(probe->Subscribe({"probe.>", "sys.>"}).ok());
}

// SIGHUP reloads the keys file: a revoked key's live session is cut at
// once (the client is told and stops), and the key cannot come back.
TEST_F(SecurityTest, ReloadRevokesAKeyAndCutsItsSession) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z03, nullptr);
  ASSERT_TRUE(z03->Subscribe({kZ03}).ok());

  WriteKeysFile({Grant(kCenter, "CENTER"), Grant(kUnitZ10, "TERMINAL", R"("zones": ["z10"])")});
  Reload();
  absl::Status cut;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<Message> next = z03->Next(absl::Milliseconds(50));
        cut = next.status();
        return zonecast::IsKeyRevoked(cut);
      },
      kWait))
      << "the revoked unit's session was not cut: " << cut;
  EXPECT_FALSE(z03->connected());
  EXPECT_EQ(z03->Subscribe({kZ03}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CenterCounter(*center, "keys_reloads"), 1u);
  EXPECT_EQ(CenterCounter(*center, "sessions_revoked"), 1u);
  absl::StatusOr<std::unique_ptr<Client>> again =
      Client::Connect(Options(kUnitZ03, v1::TERMINAL, kUnitZ03));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied) << again.status();
  // An alert for z03 now reaches nobody.
  absl::StatusOr<zonecast::PublishResult> ack = center->PublishAlert(kZ03, MakeAlert("after"));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->recipients(), 0u);
}

// Narrower grants drop the subscriptions they no longer cover, at once.
TEST_F(SecurityTest, ReloadNarrowingZonesDropsSubscriptions) {
  WriteKeysFile(
      {Grant(kCenter, "CENTER"), Grant(kUnitZ03, "TERMINAL", R"("zones": ["z03", "z04"])")});
  Reload();
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  ASSERT_NE(center, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return CenterCounter(*center, "keys_reloads") == 1; }, kWait));
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(z03, nullptr);
  ASSERT_TRUE(z03->Subscribe({kZ03, "alert.jincheng.z04"}).ok());

  WriteKeysFile({Grant(kCenter, "CENTER"), Grant(kUnitZ03, "TERMINAL", R"("zones": ["z03"])")});
  Reload();
  ASSERT_TRUE(WaitUntil([&] { return CenterCounter(*center, "keys_reloads") == 2; }, kWait));
  EXPECT_EQ(CenterCounter(*center, "subscriptions_revoked"), 1u);
  absl::StatusOr<zonecast::PublishResult> z04 =
      center->PublishAlert("alert.jincheng.z04", MakeAlert("no-longer"));
  ASSERT_TRUE(z04.ok()) << z04.status();
  EXPECT_EQ(z04->recipients(), 0u);
  absl::StatusOr<zonecast::PublishResult> z03_alert =
      center->PublishAlert(kZ03, MakeAlert("still"));
  ASSERT_TRUE(z03_alert.ok()) << z03_alert.status();
  EXPECT_EQ(z03_alert->recipients(), 1u);
  EXPECT_TRUE(z03->connected());
}

// A keys file that does not parse is refused on reload; the keys in force
// stay, and so do the sessions.
TEST_F(SecurityTest, MalformedKeysFileOnReloadKeepsTheOldKeys) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z03, nullptr);
  std::ofstream(absl::StrCat(dir_, "/keys.json")) << R"({"city": "jincheng", "grants": [{)";
  Reload();
  ASSERT_TRUE(
      WaitUntil([&] { return CenterCounter(*center, "keys_reload_failures") == 1; }, kWait));
  EXPECT_EQ(CenterCounter(*center, "keys_reloads"), 0u);
  EXPECT_TRUE(z03->Subscribe({kZ03}).ok()) << "the unit lost its session";
  // Keys of the old file still connect.
  EXPECT_NE(Connect(kUnitZ10, v1::TERMINAL, kUnitZ10), nullptr);
  EXPECT_TRUE(absl::StrContains(broker_->Log(), "the keys in force stay"));
}

// The audit log says who came to the door, who was turned away and why,
// and what changed in the keys.
TEST_F(SecurityTest, AuditLogRecordsConnectsRefusalsAndKeyChanges) {
  std::unique_ptr<Client> center = Connect(kCenter, v1::CENTER);
  std::unique_ptr<Client> z03 = Connect(kUnitZ03, v1::TERMINAL, kUnitZ03);
  ASSERT_NE(center, nullptr);
  ASSERT_NE(z03, nullptr);
  EXPECT_FALSE(Client::Connect(Options("stranger", v1::CENTER, "")).ok());
  EXPECT_FALSE(Client::Connect(Options(kUnitZ10, v1::TERMINAL, kUnitZ03)).ok());
  EXPECT_FALSE(z03->Subscribe({kZ10}).ok());
  WriteKeysFile({Grant(kCenter, "CENTER")});
  Reload();
  ASSERT_TRUE(WaitUntil([&] { return CenterCounter(*center, "sessions_revoked") == 1; }, kWait));

  std::ifstream in(broker_->data_dir() + "/audit.log");
  const std::string audit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(audit, ::testing::ContainsRegex(
                         R"("event":"connect","identity":"center-op-1","role":"center",)"
                         R"("address":"127.0.0.1")"));
  // Keys are Z85, whose '<', '>' and '&' JSON writes escaped.
  EXPECT_THAT(audit, HasSubstr(absl::StrCat(R"("event":"refused_key","address":"127.0.0.1",)",
                                            R"("public_key":)",
                                            zonecast::JsonString(public_keys_["stranger"]))));
  EXPECT_THAT(audit, HasSubstr(R"("event":"identity_mismatch","identity":"jc-z10-v01")"));
  EXPECT_THAT(audit, HasSubstr(R"("event":"denied","identity":"jc-z03-v01","role":"terminal",)"
                               R"("detail":"SUBSCRIBE_DENIED: jc-z03-v01 may not subscribe to )"
                               R"(alert.jincheng.z10")"));
  EXPECT_THAT(audit, HasSubstr(R"("event":"keys_reloaded")"));
  EXPECT_THAT(audit, HasSubstr(R"("event":"key_revoked","identity":"jc-z03-v01")"));
  EXPECT_EQ(CenterCounter(*center, "audit_failures"), 0u);
}

// Without a keys file the broker will not listen beyond this machine unless
// told --insecure.
TEST(InsecureListenTest, NonLoopbackNeedsKeysOrInsecure) {
  absl::StatusOr<std::unique_ptr<BrokerProcess>> refused =
      BrokerProcess::Start({"--listen=tcp://0.0.0.0:*"});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "refusing to listen on"))
      << refused.status();
  absl::StatusOr<std::unique_ptr<BrokerProcess>> insecure =
      BrokerProcess::Start({"--listen=tcp://0.0.0.0:*", "--insecure"});
  ASSERT_TRUE(insecure.ok()) << insecure.status();
  EXPECT_TRUE(absl::StrContains((*insecure)->Log(), "--insecure: plain, unauthenticated"));
}

}  // namespace
