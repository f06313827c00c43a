// yaml-cpp adapter for typed config reading: every error carries file, line and key path, keys
// the program never asked for are reported by Finish(), and secrets come only from files/env.
#include "common/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "common/clock.h"
#include "common/log/log.h"
#include "common/posix.h"
#include "common/strings.h"
#include "common/timezone.h"

namespace beacon::config {
namespace {

constexpr size_t kMaxQuotedValue = 80;

struct KeyValue {
  YAML::Node key;
  YAML::Node value;
};

// Looks `key` up without yaml-cpp's operator[], which inserts into mappings or throws on
// scalars. Returns the first match (duplicates are reported by Finish).
std::optional<KeyValue> Find(const YAML::Node& map, std::string_view key) {
  if (!map.IsDefined() || !map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      return KeyValue{it->first, it->second};
    }
  }
  return std::nullopt;
}

int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

bool IsAbsent(const std::optional<KeyValue>& kv) {
  return !kv || !kv->value.IsDefined() || kv->value.IsNull();
}

// "'ten'", "a mapping", "a list": what the operator wrote, for "got ..." messages.
std::string Describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) {
    std::string text = node.Scalar();
    if (text.size() > kMaxQuotedValue) text = text.substr(0, kMaxQuotedValue) + "...";
    return "'" + text + "'";
  }
  return "nothing";
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(items[i]);
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view text, bool* out_of_range) {
  *out_of_range = false;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    *out_of_range = true;
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::string RangeMessage(int64_t min, int64_t max, int64_t type_min, int64_t type_max,
                         std::string_view got) {
  std::string got_text(got);
  if (min != type_min && max == type_max) {
    return "must be at least " + std::to_string(min) + ", got " + got_text;
  }
  if (min == type_min && max != type_max) {
    return "must be at most " + std::to_string(max) + ", got " + got_text;
  }
  return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         got_text;
}

// Multiplies with overflow detection; false when the product does not fit.
bool MulAdd(int64_t value, int64_t unit, int64_t* total) {
  int64_t product;
  if (__builtin_mul_overflow(value, unit, &product)) return false;
  return !__builtin_add_overflow(*total, product, total);
}

// "512", "512B", "64KiB", "10 MiB", "2GiB"; KB/MB/GB/TB are powers of 1000.
std::optional<int64_t> ParseBytes(std::string_view text) {
  size_t digits_end = 0;
  while (digits_end < text.size() && std::isdigit(static_cast<unsigned char>(text[digits_end]))) {
    ++digits_end;
  }
  if (digits_end == 0) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits_end, value);
  if (ec != std::errc()) return std::nullopt;
  std::string_view unit = text.substr(digits_end);
  if (!unit.empty() && unit[0] == ' ') unit.remove_prefix(1);
  static const std::pair<std::string_view, int64_t> kUnits[] = {{"", 1},
                                                                {"B", 1},
                                                                {"KiB", int64_t{1} << 10},
                                                                {"MiB", int64_t{1} << 20},
                                                                {"GiB", int64_t{1} << 30},
                                                                {"TiB", int64_t{1} << 40},
                                                                {"KB", 1'000},
                                                                {"MB", 1'000'000},
                                                                {"GB", 1'000'000'000},
                                                                {"TB", 1'000'000'000'000}};
  for (const auto& [name, size] : kUnits) {
    if (unit == name) {
      int64_t total = 0;
      if (!MulAdd(value, size, &total)) return std::nullopt;
      return total;
    }
  }
  return std::nullopt;
}

std::string FormatBytes(int64_t bytes) {
  static const std::pair<int64_t, const char*> kUnits[] = {{int64_t{1} << 40, "TiB"},
                                                           {int64_t{1} << 30, "GiB"},
                                                           {int64_t{1} << 20, "MiB"},
                                                           {int64_t{1} << 10, "KiB"}};
  if (bytes == 0) return "0";
  for (const auto& [size, name] : kUnits) {
    if (bytes % size == 0) return std::to_string(bytes / size) + name;
  }
  return std::to_string(bytes);
}

// Reads a whole file; on failure returns false with errno's text in *error.
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = ErrnoText(errno);
    return false;
  }
  out->clear();
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) out->append(buf, n);
  bool failed = std::ferror(file) != 0;
  int saved_errno = errno;
  std::fclose(file);
  if (failed) {
    *error = ErrnoText(saved_errno);
    return false;
  }
  return true;
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += log::Redact(message);  // a secret may have been registered after the error was made
  return out;
}

// ---- Node ----

Node::Node(Document* doc, std::shared_ptr<YAML::Node> node, std::string path, int key_line)
    : doc_(doc), node_(std::move(node)), path_(std::move(path)), key_line_(key_line) {}

bool Node::IsMap() const { return node_ && node_->IsDefined() && node_->IsMap(); }

bool Node::IsNull() const { return !node_ || !node_->IsDefined() || node_->IsNull(); }

bool Node::IsScalar() const { return node_ && node_->IsDefined() && node_->IsScalar(); }

std::string Node::Scalar() const { return IsScalar() ? node_->Scalar() : std::string(); }

int Node::line() const { return node_ ? LineOf(*node_) : 0; }

const std::string& Node::base_dir() const { return doc_->base_dir(); }

std::string Node::KeyPath(std::string_view key) const {
  if (key.empty()) return path_;
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

int Node::ErrorLine(std::string_view key) const {
  if (node_ && !key.empty()) {
    if (auto kv = Find(*node_, key)) {
      int line = LineOf(kv->key);
      if (line > 0) return line;
    }
  }
  if (key_line_ > 0) return key_line_;
  return line();
}

void Node::Touch(std::string_view key) { doc_->MarkRead(path_, key); }

bool Node::Has(std::string_view key) const {
  doc_->MarkRead(path_, key);
  return node_ && !IsAbsent(Find(*node_, key));
}

void Node::Error(std::string_view key, std::string message) {
  doc_->AddError(ErrorLine(key), KeyPath(key), std::move(message));
}

void Node::Get(std::string_view key, std::string* out) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (!kv->value.IsScalar()) {
    Error(key, "expected a string, got " + Describe(kv->value));
    return;
  }
  *out = kv->value.Scalar();
}

void Node::Get(std::string_view key, bool* out) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (kv->value.IsScalar()) {
    const std::string& text = kv->value.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") {
      *out = true;
      return;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      *out = false;
      return;
    }
    static const char* kYaml11Words[] = {"yes", "no", "on", "off", "y", "n"};
    const std::string lower = Lower(text);
    for (const char* word : kYaml11Words) {
      if (lower == word) {
        // YAML 1.1 booleans: ambiguous between parsers, so we refuse them explicitly.
        Error(key, "expected true or false (yes/no/on/off are not accepted), got " +
                       Describe(kv->value));
        return;
      }
    }
  }
  Error(key, "expected true or false, got " + Describe(kv->value));
}

void Node::Get(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (!kv->value.IsScalar()) {
    Error(key, "expected an integer, got " + Describe(kv->value));
    return;
  }
  const std::string& text = kv->value.Scalar();
  bool out_of_range = false;
  std::optional<int64_t> value = ParseInt(text, &out_of_range);
  if (out_of_range) {
    Error(key, RangeMessage(min, max, INT64_MIN, INT64_MAX, text));
    return;
  }
  if (!value) {
    Error(key, "expected an integer, got " + Describe(kv->value));
    return;
  }
  if (*value < min || *value > max) {
    Error(key, RangeMessage(min, max, INT64_MIN, INT64_MAX, text));
    return;
  }
  *out = *value;
}

void Node::Get(std::string_view key, int* out, int min, int max) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (!kv->value.IsScalar()) {
    Error(key, "expected an integer, got " + Describe(kv->value));
    return;
  }
  const std::string& text = kv->value.Scalar();
  bool out_of_range = false;
  std::optional<int64_t> value = ParseInt(text, &out_of_range);
  if (!value && !out_of_range) {
    Error(key, "expected an integer, got " + Describe(kv->value));
    return;
  }
  if (out_of_range || *value < min || *value > max) {
    Error(key, RangeMessage(min, max, INT32_MIN, INT32_MAX, text));
    return;
  }
  *out = static_cast<int>(*value);
}

void Node::Get(std::string_view key, double* out) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (kv->value.IsScalar()) {
    std::string_view text = kv->value.Scalar();
    if (!text.empty() && text[0] == '+') text.remove_prefix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!text.empty() && ec == std::errc() && end == text.data() + text.size() &&
        std::isfinite(value)) {
      *out = value;
      return;
    }
  }
  Error(key, "expected a number, got " + Describe(kv->value));
}

void Node::Get(std::string_view key, std::vector<std::string>* out) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (!kv->value.IsSequence()) {
    Error(key, "expected a list of strings, got " + Describe(kv->value));
    return;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < kv->value.size(); ++i) {
    YAML::Node element = kv->value[i];
    if (!element.IsScalar()) {
      doc_->AddError(LineOf(element), KeyPath(key) + "[" + std::to_string(i) + "]",
                     "expected a string, got " + Describe(element));
      ok = false;
      continue;
    }
    values.push_back(element.Scalar());
  }
  if (ok) *out = std::move(values);
}

void Node::GetEnum(std::string_view key, std::string* out,
                   const std::vector<std::string>& allowed) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  if (kv->value.IsScalar() &&
      std::find(allowed.begin(), allowed.end(), kv->value.Scalar()) != allowed.end()) {
    *out = kv->value.Scalar();
    return;
  }
  Error(key, "expected one of: " + Join(allowed, ", ") + ", got " + Describe(kv->value));
}

void Node::GetDurationMs(std::string_view key, int64_t* out_ms, int64_t min_ms, int64_t max_ms) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  std::optional<int64_t> ms;
  if (kv->value.IsScalar()) {
    // The one duration grammar of the project lives in common/clock.
    if (auto parsed = beacon::ParseDurationMs(kv->value.Scalar()); parsed.ok()) ms = *parsed;
  }
  if (!ms) {
    Error(key, "expected a duration like 30s, 5m, 1h, got " + Describe(kv->value));
    return;
  }
  if (*ms < min_ms) {
    Error(key, "must be at least " + FormatDurationMs(min_ms) + ", got " + Describe(kv->value));
    return;
  }
  if (*ms > max_ms) {
    Error(key, "must be at most " + FormatDurationMs(max_ms) + ", got " + Describe(kv->value));
    return;
  }
  *out_ms = *ms;
}

void Node::GetBytes(std::string_view key, int64_t* out, int64_t min) {
  Touch(key);
  if (!node_) return;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return;
  std::optional<int64_t> bytes;
  if (kv->value.IsScalar()) bytes = ParseBytes(kv->value.Scalar());
  if (!bytes) {
    Error(key, "expected a size like 512KiB or 64MiB, got " + Describe(kv->value));
    return;
  }
  if (*bytes < min) {
    Error(key, "must be at least " + FormatBytes(min) + ", got " + Describe(kv->value));
    return;
  }
  *out = *bytes;
}

void Node::GetSecret(std::string_view key, Secret* out) {
  const std::string file_key = std::string(key) + "_file";
  const std::string env_key = std::string(key) + "_env";
  Touch(key);
  Touch(file_key);
  Touch(env_key);
  if (!node_) return;
  const std::string hint = "use " + file_key + " or " + env_key;
  if (!IsAbsent(Find(*node_, key))) {
    // The value itself is never echoed: it is exactly what must not reach a log.
    Error(key, "secrets are not accepted inline; " + hint);
    return;
  }
  bool has_file = !IsAbsent(Find(*node_, file_key));
  bool has_env = !IsAbsent(Find(*node_, env_key));
  if (has_file && has_env) {
    Error(file_key, "set only one of " + file_key + " and " + env_key);
    return;
  }
  if (has_file) {
    std::string file;
    size_t errors_before = doc_->errors_.size();
    Get(file_key, &file);
    if (doc_->errors_.size() != errors_before) return;
    std::filesystem::path path(file);
    if (path.is_relative() && !doc_->base_dir().empty()) {
      path = std::filesystem::path(doc_->base_dir()) / path;
    }
    std::string content;
    std::string read_error;
    if (!ReadWholeFile(path.string(), &content, &read_error)) {
      Error(file_key, "cannot read " + path.string() + ": " + read_error);
      return;
    }
    std::string value(Trim(content, kAsciiSpace));
    if (value.empty()) {
      Error(file_key, "file " + path.string() + " is empty");
      return;
    }
    log::RegisterSecret(value);
    *out = Secret(std::move(value));
    out->source = "file " + path.string();
    return;
  }
  if (has_env) {
    std::string var;
    size_t errors_before = doc_->errors_.size();
    Get(env_key, &var);
    if (doc_->errors_.size() != errors_before) return;
    const char* raw = std::getenv(var.c_str());
    if (raw == nullptr) {
      Error(env_key, "environment variable " + var + " is not set");
      return;
    }
    std::string value(Trim(raw, kAsciiSpace));
    if (value.empty()) {
      Error(env_key, "environment variable " + var + " is empty");
      return;
    }
    log::RegisterSecret(value);
    *out = Secret(std::move(value));
    out->source = "env " + var;
  }
}

void Node::GetTimeZone(std::string_view key, std::string* out) {
  std::string name;
  const size_t errors_before = error_count();
  Get(key, &name);
  if (error_count() != errors_before || !Has(key)) return;
  if (Result<TimeZone> zone = TimeZone::Load(name); !zone.ok()) {
    Error(key, zone.status().message());  // "unknown time zone 'Mars/Base' (...)"
    return;
  }
  *out = name;
}

bool Node::Require(std::string_view key) {
  if (Has(key)) return true;
  if (!wrong_type_) Error(key, "required key is missing");
  return false;
}

Node Node::Child(std::string_view key) {
  Touch(key);
  int line = ErrorLine(key);
  if (!node_) return Node(doc_, nullptr, KeyPath(key), line);
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return Node(doc_, nullptr, KeyPath(key), line);
  if (!kv->value.IsMap()) {
    Error(key, "expected a mapping, got " + Describe(kv->value));
    Node broken(doc_, nullptr, KeyPath(key), line);
    broken.wrong_type_ = true;
    return broken;
  }
  return Node(doc_, std::make_shared<YAML::Node>(kv->value), KeyPath(key), line);
}

std::vector<Node> Node::Sequence(std::string_view key) {
  Touch(key);
  std::vector<Node> out;
  if (!node_) return out;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return out;
  if (!kv->value.IsSequence()) {
    Error(key, "expected a list, got " + Describe(kv->value));
    return out;
  }
  for (size_t i = 0; i < kv->value.size(); ++i) {
    out.push_back(Node(doc_, std::make_shared<YAML::Node>(kv->value[i]),
                       KeyPath(key) + "[" + std::to_string(i) + "]", 0));
  }
  return out;
}

std::vector<std::pair<std::string, Node>> Node::Entries(std::string_view key) {
  Touch(key);
  std::vector<std::pair<std::string, Node>> out;
  if (!node_) return out;
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return out;
  if (!kv->value.IsMap()) {
    Error(key, "expected a mapping, got " + Describe(kv->value));
    return out;
  }
  const std::string map_path = KeyPath(key);
  for (auto it = kv->value.begin(); it != kv->value.end(); ++it) {
    if (!it->first.IsScalar()) {
      doc_->AddError(LineOf(it->first), map_path, "keys must be plain strings");
      continue;
    }
    const std::string& name = it->first.Scalar();
    doc_->MarkRead(map_path, name);
    out.emplace_back(name, Node(doc_, std::make_shared<YAML::Node>(it->second),
                                map_path + "." + name, LineOf(it->first)));
  }
  return out;
}

std::vector<std::pair<std::string, Node>> Node::MapEntries() {
  std::vector<std::pair<std::string, Node>> out;
  if (IsNull()) return out;
  if (!node_->IsMap()) {
    Error("", "expected a mapping, got " + Describe(*node_));
    return out;
  }
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    if (!it->first.IsScalar()) {
      doc_->AddError(LineOf(it->first), path_, "keys must be plain strings");
      continue;
    }
    const std::string& name = it->first.Scalar();
    doc_->MarkRead(path_, name);
    out.emplace_back(name, Node(doc_, std::make_shared<YAML::Node>(it->second), KeyPath(name),
                                LineOf(it->first)));
  }
  return out;
}

std::map<std::string, Node> Node::KnownEntries(std::vector<std::string> known) {
  std::sort(known.begin(), known.end());
  std::map<std::string, Node> out;
  for (auto& [key, value] : MapEntries()) {
    if (!std::binary_search(known.begin(), known.end(), key)) {
      Error(key, "unknown key (known here: " + Join(known, ", ") + ")");
      continue;
    }
    out.emplace(key, value);
  }
  return out;
}

Node Node::Value(std::string_view key) {
  Touch(key);
  int line = ErrorLine(key);
  if (!node_) return Node(doc_, nullptr, KeyPath(key), line);
  auto kv = Find(*node_, key);
  if (IsAbsent(kv)) return Node(doc_, nullptr, KeyPath(key), line);
  return Node(doc_, std::make_shared<YAML::Node>(kv->value), KeyPath(key), line);
}

size_t Node::error_count() const { return doc_->errors_.size(); }

// ---- Document ----

Document::~Document() = default;

Result<std::unique_ptr<Document>> Document::LoadFile(const std::string& path) {
  std::string text;
  std::string error;
  if (!ReadWholeFile(path, &text, &error)) {
    return Status::InvalidArgument(path + ": cannot read: " + error);
  }
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<Document> doc, LoadString(text, path));
  doc->base_dir_ = std::filesystem::path(path).parent_path().string();
  return doc;
}

Result<std::unique_ptr<Document>> Document::LoadString(const std::string& text,
                                                       std::string display_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    std::string where = display_name + (line > 0 ? ":" + std::to_string(line) : "");
    return Status::InvalidArgument(where + ": invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);  // an empty file configures nothing
  } else if (!root.IsMap()) {
    int line = LineOf(root);
    std::string where = display_name + (line > 0 ? ":" + std::to_string(line) : "");
    return Status::InvalidArgument(where + ": the top level must be a mapping of keys, got " +
                                   Describe(root));
  }
  std::unique_ptr<Document> doc(new Document());
  doc->name_ = std::move(display_name);
  doc->root_ = std::make_shared<YAML::Node>(root);
  return doc;
}

Node Document::root() { return Node(this, root_, "", 0); }

void Document::AddError(int line, std::string path, std::string message) {
  // Defence in depth: a value quoted in a message might be a registered secret.
  errors_.push_back(ConfigError{name_, line, std::move(path), log::Redact(message)});
}

void Document::MarkRead(const std::string& parent_path, std::string_view key) {
  read_keys_[parent_path].insert(std::string(key));
}

void Document::CheckUnknownKeys(const YAML::Node& node, const std::string& path, bool is_root) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      CheckUnknownKeys(node[i], path + "[" + std::to_string(i) + "]", false);
    }
    return;
  }
  if (!node.IsMap()) return;
  auto known_it = read_keys_.find(path);
  // A mapping the program never looked into is opaque (e.g. it already has a type error).
  if (known_it == read_keys_.end() && !is_root) return;
  static const std::set<std::string> kNone;
  const std::set<std::string>& known = known_it == read_keys_.end() ? kNone : known_it->second;
  const std::string known_text =
      known.empty()
          ? "no keys are expected here"
          : "known here: " + Join(std::vector<std::string>(known.begin(), known.end()), ", ");
  std::unordered_map<std::string, int> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      AddError(LineOf(it->first), path, "keys must be plain strings");
      continue;
    }
    const std::string& key = it->first.Scalar();
    const std::string child_path = path.empty() ? key : path + "." + key;
    int line = LineOf(it->first);
    auto [seen, inserted] = first_line.emplace(key, line);
    if (!inserted) {
      AddError(line, child_path,
               "duplicate key (first defined at line " + std::to_string(seen->second) + ")");
      continue;
    }
    if (known.count(key) == 0) {
      AddError(line, child_path, "unknown key (" + known_text + ")");
      continue;
    }
    CheckUnknownKeys(it->second, child_path, false);
  }
}

Status Document::Finish() {
  if (!finished_) {
    finished_ = true;
    CheckUnknownKeys(*root_, "", true);
    // Secrets read after an error was recorded (e.g. `port: <token>` above `token_file`).
    for (ConfigError& error : errors_) error.message = log::Redact(error.message);
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  }
  if (errors_.empty()) return Status::Ok();
  std::vector<std::string> lines;
  lines.reserve(errors_.size());
  for (const ConfigError& error : errors_) lines.push_back(error.ToString());
  return Status::InvalidArgument(Join(lines, "\n"));
}

}  // namespace beacon::config
