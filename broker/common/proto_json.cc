#include "common/proto_json.h"

#include "google/protobuf/util/json_util.h"

namespace zonecast {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::Struct;
using google::protobuf::Value;

bool Is64Bit(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
}

double AsNumber(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64
             ? static_cast<double>(reflection->GetInt64(message, field))
             : static_cast<double>(reflection->GetUInt64(message, field));
}

void Int64AsNumbers(const Message& message, Struct* object);

// Map values that are 64-bit integers or messages; the map's JSON object is
// keyed by the entry keys as printed.
void FixMap(const Message& message, const FieldDescriptor* field, Struct* object) {
  const Reflection* reflection = message.GetReflection();
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  if (!Is64Bit(value_field) && value_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return;
  for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
    const Message& entry = reflection->GetRepeatedMessage(message, field, i);
    std::string key;
    const Reflection* entry_reflection = entry.GetReflection();
    switch (key_field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        key = entry_reflection->GetString(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        key = std::to_string(static_cast<long long>(AsNumber(entry, key_field)));
        break;
      default:
        continue;  // other key types are printed as protobuf does; leave them
    }
    auto it = object->mutable_fields()->find(key);
    if (it == object->mutable_fields()->end()) continue;
    if (Is64Bit(value_field)) {
      it->second.set_number_value(AsNumber(entry, value_field));
    } else if (it->second.has_struct_value()) {
      Int64AsNumbers(entry_reflection->GetMessage(entry, value_field),
                     it->second.mutable_struct_value());
    }
  }
}

void Int64AsNumbers(const Message& message, Struct* object) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    auto it = object->mutable_fields()->find(field->name());
    if (it == object->mutable_fields()->end()) continue;
    Value& value = it->second;
    if (field->is_map()) {
      if (value.has_struct_value()) FixMap(message, field, value.mutable_struct_value());
      continue;
    }
    if (field->is_repeated()) {
      if (!value.has_list_value()) continue;
      auto* values = value.mutable_list_value()->mutable_values();
      const int n = std::min(values->size(), reflection->FieldSize(message, field));
      for (int i = 0; i < n; ++i) {
        Value& item = (*values)[i];
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && item.has_struct_value()) {
          Int64AsNumbers(reflection->GetRepeatedMessage(message, field, i),
                         item.mutable_struct_value());
        } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
          item.set_number_value(
              static_cast<double>(reflection->GetRepeatedInt64(message, field, i)));
        } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
          item.set_number_value(
              static_cast<double>(reflection->GetRepeatedUInt64(message, field, i)));
        }
      }
      continue;
    }
    if (Is64Bit(field)) {
      value.set_number_value(AsNumber(message, field));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && value.has_struct_value()) {
      Int64AsNumbers(reflection->GetMessage(message, field), value.mutable_struct_value());
    }
  }
}

}  // namespace

Struct ProtoToStruct(const Message& message, bool all_fields) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = all_fields;
  std::string json;
  Struct object;
  if (google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    // Parsing protobuf's own output into a Struct cannot fail.
    (void)google::protobuf::util::JsonStringToMessage(json, &object).ok();
  }
  Int64AsNumbers(message, &object);
  return object;
}

std::string ProtoToJson(const Message& message, JsonOptions options) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = options.pretty;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(ProtoToStruct(message, options.all_fields),
                                                    &json, print)
      .ok();
  return json;
}

}  // namespace zonecast
