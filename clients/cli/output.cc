#include "output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "shared/proto_json.h"

namespace zonecast::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

// The value of `message`'s field `name` as JSON text, as ProtoToJson prints
// it without defaults; empty if the message has no such field set.
std::string FieldJson(const google::protobuf::Message& message, const std::string& name) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  const Reflection* reflection = message.GetReflection();
  if (field == nullptr || field->is_repeated() || !reflection->HasField(message, field)) return "";
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return JsonString(reflection->GetString(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(reflection->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(reflection->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(reflection->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(reflection->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(message, field) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return JsonString(reflection->GetEnum(message, field)->name());
    default:
      return "(message)";  // never equal to an envelope value
  }
}

}  // namespace

std::string ToJsonLine(const google::protobuf::Message& message, bool all_fields) {
  JsonOptions options;
  options.all_fields = all_fields;
  return ProtoToJson(message, options);
}

std::string PublishResultJson(const PublishResult& result) {
  return absl::StrCat("{\"seq\":", result.seq(), ",\"alert_id\":", JsonString(result.alert_id()),
                      ",\"durable\":", result.durable() ? "true" : "false",
                      ",\"duplicate\":", result.duplicate() ? "true" : "false",
                      ",\"recipients\":", result.recipients(),
                      result.held() ? ",\"held\":true" : "", "}");
}

std::string DeliveryJson(const Message& deliver) {
  const v1::Event& event = deliver.event();
  std::string kind = "unknown";
  const google::protobuf::Message* inner = nullptr;
  switch (event.kind_case()) {
    case v1::Event::kAlert:
      kind = "alert";
      inner = &event.alert();
      break;
    case v1::Event::kRadio:
      kind = "radio";
      inner = &event.radio();
      break;
    case v1::Event::kAck:
      kind = "ack";
      inner = &event.ack();
      break;
    case v1::Event::kSession:
      kind = "session";
      inner = &event.session();
      break;
    case v1::Event::kCanary:
      kind = "canary";
      inner = &event.canary();
      break;
    case v1::Event::kEscalation:
      kind = "escalation";
      inner = &event.escalation();
      break;
    case v1::Event::kDeadLetter:
      kind = "dead_letter";
      inner = &event.dead_letter();
      break;
    case v1::Event::kStats:
      kind = "stats";
      inner = &event.stats();
      break;
    case v1::Event::kAlertUpdate:
      kind = "alert_update";
      inner = &event.alert_update();
      break;
    default:
      break;
  }
  std::vector<std::pair<std::string, std::string>> envelope = {
      {"event", JsonString(kind)},
      {"seq", absl::StrCat(deliver.seq())},
      {"topic", JsonString(deliver.topic())},
      {"priority", JsonString(v1::Priority_Name(deliver.priority()))},
      {"delivery_count", absl::StrCat(deliver.delivery_count())},
  };
  if (deliver.redelivered()) envelope.emplace_back("redelivered", "true");
  if (deliver.not_stored()) envelope.emplace_back("not_stored", "true");
  envelope.emplace_back("publisher", JsonString(deliver.publisher()));
  if (deliver.sent_unix_ms() != 0) {
    envelope.emplace_back("sent_unix_ms", absl::StrCat(deliver.sent_unix_ms()));
  }
  envelope.emplace_back("broker_unix_ms", absl::StrCat(deliver.broker_unix_ms()));
  JsonOptions options;
  options.all_fields = false;
  std::string object = inner != nullptr ? ProtoToJson(*inner, options) : "{}";
  // The event's own fields win (an ack's seq and topic are those of the
  // message it acknowledges); an envelope field they hide stays visible as
  // delivery_<name>. The envelope goes first, in the order above.
  for (auto it = envelope.rbegin(); it != envelope.rend(); ++it) {
    const std::string existing = inner != nullptr ? FieldJson(*inner, it->first) : "";
    if (existing.empty()) {
      object = JsonWithMember(object, it->first, it->second);
    } else if (existing != it->second) {
      object = JsonWithMember(object, "delivery_" + it->first, it->second);
    }
  }
  return object;
}

std::string DeliveryText(const Message& deliver) {
  const v1::Event& event = deliver.event();
  std::string head = absl::StrFormat("[seq %d] %s %s", deliver.seq(),
                                     v1::Priority_Name(deliver.priority()), deliver.topic());
  if (deliver.delivery_count() > 1)
    absl::StrAppend(&head, " (redelivery ", deliver.delivery_count(), ")");
  if (event.has_alert()) {
    const v1::Alert& a = event.alert();
    std::string line = absl::StrCat(head, "  ", a.title());
    if (!a.body().empty()) absl::StrAppend(&line, " - ", a.body());
    if (!a.location().address().empty() || a.location().lat() != 0 || a.location().lon() != 0) {
      absl::StrAppend(&line, "  @ ", a.location().address());
      if (a.location().lat() != 0 || a.location().lon() != 0) {
        absl::StrAppend(&line,
                        absl::StrFormat(" (%.5f,%.5f)", a.location().lat(), a.location().lon()));
      }
    }
    absl::StrAppend(&line, "  id=", a.alert_id(), " from ", deliver.publisher());
    if (!a.escalated_from_zone().empty()) {
      absl::StrAppend(&line, "  [escalated from ", a.escalated_from_zone(), "]");
    }
    if (deliver.not_stored()) absl::StrAppend(&line, "  [not yet stored: the broker's disk]");
    return line;
  }
  if (event.has_radio()) {
    const v1::RadioEvent& r = event.radio();
    std::string line =
        absl::StrCat(head, "  unit ", r.unit(), " ", v1::RadioEvent::Kind_Name(r.kind()));
    if (r.kind() == v1::RadioEvent::POSITION || r.has_position()) {
      absl::StrAppend(&line,
                      absl::StrFormat(" (%.5f,%.5f)", r.position().lat(), r.position().lon()));
    }
    if (!r.status_code().empty()) absl::StrAppend(&line, " status ", r.status_code());
    if (!r.text().empty()) absl::StrAppend(&line, " \"", r.text(), "\"");
    return line;
  }
  if (event.has_ack()) {
    const v1::Ack& a = event.ack();
    std::string line = absl::StrCat(head, "  unit ", a.unit(), " ", v1::AckLevel_Name(a.level()),
                                    " alert ", a.alert_id(), " (seq ", a.seq(), ")");
    if (!a.text().empty()) absl::StrAppend(&line, " \"", a.text(), "\"");
    return line;
  }
  if (event.has_alert_update()) {
    const v1::AlertUpdate& u = event.alert_update();
    if (u.kind() == v1::AlertUpdate::TAKEN) {
      std::string line = absl::StrCat(head, "  TAKEN alert ", u.alert_id(), " by ", u.unit());
      if (u.units_taken() < u.units_needed()) {
        absl::StrAppend(&line, " (", u.units_taken(), " of ", u.units_needed(),
                        " units): more units needed");
      } else {
        absl::StrAppend(&line, ": stand down unless told otherwise");
      }
      return line;
    }
    std::string line = absl::StrCat(head, "  ", v1::AlertUpdate::Kind_Name(u.kind()), " alert ",
                                    u.alert_id(), " by ", u.by());
    if (u.kind() == v1::AlertUpdate::ASSIGNED) absl::StrAppend(&line, " to ", u.unit());
    if (u.kind() == v1::AlertUpdate::AMENDED) {
      if (u.priority() != v1::PRIORITY_UNSPECIFIED) {
        absl::StrAppend(&line, " now ", v1::Priority_Name(u.priority()));
      }
      if (!u.title().empty()) absl::StrAppend(&line, " \"", u.title(), "\"");
      if (!u.body().empty()) absl::StrAppend(&line, " \"", u.body(), "\"");
      if (u.has_location()) {
        absl::StrAppend(&line, " at ", u.location().address(), " (", u.location().lat(), ", ",
                        u.location().lon(), ")");
      }
    }
    if (!u.reason().empty()) absl::StrAppend(&line, " \"", u.reason(), "\"");
    if (u.kind() == v1::AlertUpdate::CANCELLED) absl::StrAppend(&line, ": stand down");
    return line;
  }
  if (event.has_session()) {
    const v1::SessionEvent& s = event.session();
    return absl::StrCat(head, "  ", s.role(), " ", s.unit(), " ",
                        v1::SessionEvent::State_Name(s.state()), " (", s.reason(), ")");
  }
  if (event.has_escalation()) {
    const v1::Escalation& e = event.escalation();
    return absl::StrCat(head, "  ESCALATION (", e.reason(), ") alert ", e.alert().alert_id(),
                        " zone ", e.zone(), " -> ", absl::StrJoin(e.neighbours(), ","), ": ",
                        e.alert().title());
  }
  if (event.has_dead_letter()) {
    const v1::DeadLetter& d = event.dead_letter();
    return absl::StrCat(head, "  DEAD LETTER seq ", d.seq(), " (", d.topic(), ") to unit ",
                        d.unit(), ": ", d.reason());
  }
  if (event.has_canary()) {
    return absl::StrCat(head, "  canary ", event.canary().probe(), " #", event.canary().index());
  }
  if (event.has_stats()) {
    // One line of what a wall display wants; `zonecast stats` has the rest.
    const v1::StatsSnapshot& s = event.stats();
    auto counter = [&s](const std::string& name) {
      auto it = s.counters().find(name);
      return it == s.counters().end() ? uint64_t{0} : it->second;
    };
    auto gauge = [&s](const std::string& name) {
      auto it = s.gauges().find(name);
      return it == s.gauges().end() ? int64_t{0} : it->second;
    };
    std::string line =
        absl::StrCat(head, "  STATS ", s.broker_id(), s.ready() ? " ready" : " NOT READY",
                     ", sessions ", gauge("sessions"), ", published ", counter("published_durable"),
                     " durable + ", counter("published_best_effort"), " best-effort, delivered ",
                     counter("delivered"), ", escalations ", counter("escalations"));
    for (const v1::LatencySummary& stage : s.latency_by_stage()) {
      if (stage.stage() == "routing") {
        absl::StrAppend(&line, absl::StrFormat(", routing p99 %.2f ms", stage.p99_ms()));
      }
    }
    return line;
  }
  return head;
}

}  // namespace zonecast::cli
