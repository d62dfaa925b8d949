// AuditLog: one JSON line per event, stamped with the clock, appended to
// what is there, rotated by size into PATH.1, PATH.2, ... with the oldest
// dropped.
#include "auth/audit_log.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

v1::AuditEvent Event(const std::string& event, const std::string& identity) {
  v1::AuditEvent entry;
  entry.set_event(event);
  entry.set_identity(identity);
  return entry;
}

class AuditLogTest : public ::testing::Test {
 protected:
  std::string Path() const {
    return absl::StrCat(::testing::TempDir(), "/audit_log_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".log");
  }
  FakeClock clock_;
};

TEST_F(AuditLogTest, AppendsStampedJsonLines) {
  AuditLog::Options options;
  options.path = Path();
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(options, clock_);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE((*log)->Record(Event("connect", "jc-z10-v01")));
  }
  // Reopened (a restart): appended, not overwritten.
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(options, clock_);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE((*log)->Record(Event("refused_key", "")));
  const std::vector<std::string> lines =
      absl::StrSplit(Read(options.path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(R"("event":"connect")"));
  EXPECT_THAT(lines[0], HasSubstr(R"("identity":"jc-z10-v01")"));
  EXPECT_THAT(lines[0],
              HasSubstr(absl::StrCat(R"("unix_ms":)", absl::ToUnixMillis(clock_.NowWall()))));
  EXPECT_THAT(lines[1], HasSubstr(R"("event":"refused_key")"));
}

TEST_F(AuditLogTest, RotatesBySizeKeepingTheNewest) {
  AuditLog::Options options;
  options.path = Path();
  options.max_bytes = 200;
  options.keep = 2;
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(options, clock_);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((*log)->Record(Event("connect", absl::StrCat("unit-", i))));
  }
  EXPECT_LE(Read(options.path).size(), 200u);
  EXPECT_THAT(Read(options.path), HasSubstr(R"("identity":"unit-29")"));
  EXPECT_FALSE(Read(options.path + ".1").empty());
  EXPECT_FALSE(Read(options.path + ".2").empty());
  EXPECT_TRUE(Read(options.path + ".3").empty()) << "more old files kept than asked";
  EXPECT_THAT(Read(options.path + ".2") + Read(options.path + ".1") + Read(options.path),
              ::testing::Not(HasSubstr(R"("identity":"unit-0")")));
}

TEST_F(AuditLogTest, UnwritablePlaceIsAnError) {
  AuditLog::Options options;
  options.path = "/nonexistent-dir/audit.log";
  EXPECT_EQ(AuditLog::Open(options, clock_).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace zonecast
