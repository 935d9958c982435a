#include "tests/e2e/string_field_paths.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace authd::e2e {

namespace pb = ::google::protobuf;

absl::StatusOr<std::vector<const pb::ServiceDescriptor*>> ServicesInProtoDir(
    const std::string& proto_dir, const std::string& import_prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proto_dir, ec)) {
    if (entry.path().extension() == ".proto") names.push_back(entry.path().filename().string());
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no .proto file in ", proto_dir));
  }
  std::sort(names.begin(), names.end());
  std::vector<const pb::ServiceDescriptor*> services;
  for (const std::string& name : names) {
    const std::string import_path = import_prefix + name;
    const pb::FileDescriptor* file = pb::DescriptorPool::generated_pool()->FindFileByName(import_path);
    if (file == nullptr) {
      return absl::NotFoundError(absl::StrCat(import_path, " is not linked into the test"));
    }
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

namespace {

void Walk(const pb::Descriptor* message, FieldPath* prefix,
          std::vector<const pb::Descriptor*>* on_path, std::vector<FieldPath>* out) {
  on_path->push_back(message);
  for (int i = 0; i < message->field_count(); ++i) {
    const pb::FieldDescriptor* field = message->field(i);
    if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
      prefix->push_back(field);
      out->push_back(*prefix);
      prefix->pop_back();
    } else if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      const pb::Descriptor* sub = field->message_type();
      if (std::find(on_path->begin(), on_path->end(), sub) != on_path->end()) continue;
      prefix->push_back(field);
      Walk(sub, prefix, on_path, out);
      prefix->pop_back();
    }
  }
  on_path->pop_back();
}

}  // namespace

std::vector<FieldPath> StringFieldPaths(const pb::Descriptor* message) {
  std::vector<FieldPath> out;
  FieldPath prefix;
  std::vector<const pb::Descriptor*> on_path;
  Walk(message, &prefix, &on_path, &out);
  return out;
}

std::string PathName(const FieldPath& path) {
  std::string name;
  for (const pb::FieldDescriptor* field : path) {
    if (!name.empty()) name += ".";
    name += field->name();
    if (field->is_repeated()) name += "[0]";
  }
  return name;
}

bool PathExists(const pb::Message& message, const FieldPath& path) {
  const pb::Message* m = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const pb::Reflection* r = m->GetReflection();
    const pb::FieldDescriptor* f = path[i];
    if (f->is_repeated()) {
      if (r->FieldSize(*m, f) == 0) return false;
      m = &r->GetRepeatedMessage(*m, f, 0);
    } else {
      if (!r->HasField(*m, f)) return false;
      m = &r->GetMessage(*m, f);
    }
  }
  return true;
}

void SetStringAt(pb::Message* message, const FieldPath& path, const std::string& value) {
  pb::Message* m = message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const pb::Reflection* r = m->GetReflection();
    const pb::FieldDescriptor* f = path[i];
    if (f->is_repeated()) {
      m = r->FieldSize(*m, f) == 0 ? r->AddMessage(m, f) : r->MutableRepeatedMessage(m, f, 0);
    } else {
      m = r->MutableMessage(m, f);
    }
  }
  const pb::Reflection* r = m->GetReflection();
  const pb::FieldDescriptor* f = path.back();
  if (!f->is_repeated()) {
    r->SetString(m, f, value);
  } else if (r->FieldSize(*m, f) == 0) {
    r->AddString(m, f, value);
  } else {
    r->SetRepeatedString(m, f, 0, value);
  }
}

}  // namespace authd::e2e
