#pragma once
// Minimal leveled logging to stderr: one line per message, with a UTC
// timestamp, the level and the source position. Thread-safe (one write(2) per
// line). Usage: ZC_LOG(INFO) << "bound " << endpoint;
#include <atomic>
#include <sstream>

namespace zonecast {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

// Messages below this level are discarded. Default kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

namespace internal {

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();  // writes the line; aborts after a kFatal message
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Swallows a stream expression for disabled levels.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace zonecast

#define ZC_LOG_LEVEL_DEBUG ::zonecast::LogLevel::kDebug
#define ZC_LOG_LEVEL_INFO ::zonecast::LogLevel::kInfo
#define ZC_LOG_LEVEL_WARNING ::zonecast::LogLevel::kWarning
#define ZC_LOG_LEVEL_ERROR ::zonecast::LogLevel::kError
#define ZC_LOG_LEVEL_FATAL ::zonecast::LogLevel::kFatal

// NOLINTNEXTLINE(bugprone-macro-parentheses): the stream must stay open for <<.
#define ZC_LOG(severity)                                \
  (ZC_LOG_LEVEL_##severity < ::zonecast::MinLogLevel()) \
      ? (void)0                                         \
      : ::zonecast::internal::LogVoidify() &            \
            ::zonecast::internal::LogMessage(ZC_LOG_LEVEL_##severity, __FILE__, __LINE__).stream()
