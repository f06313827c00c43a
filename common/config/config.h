// YAML configuration reading (yaml-cpp) into typed structs. A Document collects every error
// with file, line and key path ("agent.yaml:12: uplink.batch_max_events: expected an integer,
// got 'ten'"); Finish() also reports keys nobody read as unknown. Secrets are read from
// `<key>_file` (a file holding the value) or `<key>_env` (an environment variable), never
// inline, and are registered with the log redactor. Not thread-safe; use while loading.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace YAML {
class Node;
}

namespace beacon::config {

// A secret value. Prints as "***"; value() is for the one place that needs it.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::string ToString() const { return value_.empty() ? "" : "***"; }
  // Where it came from, for messages: "file /etc/beacon/token" / "env BEACON_TOKEN".
  std::string source;

 private:
  std::string value_;
};

struct ConfigError {
  std::string file;  // display name of the document
  int line = 0;      // 1-based; 0 when unknown
  std::string path;  // "uplink.batch_max_events", "inputs[2].interval"
  std::string message;
  // "<file>:<line>: <path>: <message>" (path omitted when empty, ":<line>" when 0)
  std::string ToString() const;
};

class Document;

// A view of one YAML node with its path. Getters leave *out unchanged (the default) when the
// key is absent and record an error when it is present with the wrong type or range.
class Node {
 public:
  bool IsMap() const;
  bool IsNull() const;  // absent or explicit null
  bool Has(std::string_view key) const;
  const std::string& path() const { return path_; }
  int line() const;  // 1-based line of this node, 0 if absent
  // The directory of the document's file, for resolving relative paths (empty for strings).
  const std::string& base_dir() const;

  void Get(std::string_view key, std::string* out);
  void Get(std::string_view key, bool* out);
  void Get(std::string_view key, int64_t* out, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  void Get(std::string_view key, int* out, int min = INT32_MIN, int max = INT32_MAX);
  void Get(std::string_view key, double* out);
  void Get(std::string_view key, std::vector<std::string>* out);
  // One of `allowed` ("expected one of: a, b, c").
  void GetEnum(std::string_view key, std::string* out, const std::vector<std::string>& allowed);
  // "30s", "5m", "1h", "7d", "500ms" -> milliseconds, within min_ms..max_ms.
  void GetDurationMs(std::string_view key, int64_t* out_ms, int64_t min_ms = 0,
                     int64_t max_ms = INT64_MAX);
  // "512", "64KiB", "10MiB", "2GiB" (also KB/MB/GB = powers of 1000) -> bytes, >= min.
  void GetBytes(std::string_view key, int64_t* out, int64_t min = 0);
  // Reads `<key>_file` or `<key>_env` (exactly one may be set). An inline `<key>` is rejected
  // with an error telling the operator to use one of the two forms. The file content is
  // trimmed of surrounding whitespace; an empty or unreadable file is an error.
  void GetSecret(std::string_view key, Secret* out);
  // An IANA time zone name the process can load ("Asia/Shanghai", "UTC"); an unknown one is an
  // error naming the key, so every section that takes a zone checks it the same way.
  void GetTimeZone(std::string_view key, std::string* out);
  // Marks `key` as required: records "required key is missing" at this node if absent.
  bool Require(std::string_view key);

  // A child mapping (absent -> a null Node whose getters all keep defaults).
  Node Child(std::string_view key);
  // Elements of a sequence under key (absent -> empty); records an error if not a sequence.
  std::vector<Node> Sequence(std::string_view key);
  // Entries of a mapping under key, for free-form maps (labels, per-port policies).
  std::vector<std::pair<std::string, Node>> Entries(std::string_view key);
  // Entries of this node itself when it is a mapping (a list element like `- 8080: java`);
  // records an error if it is present but not a mapping.
  std::vector<std::pair<std::string, Node>> MapEntries();
  // Reports every key of this mapping that is not in `known` as "unknown key (known here: ...)"
  // now rather than at Document::Finish, for sections whose validity must be known while they
  // are read (a receiver with any bad key builds no notifier), and returns the known entries.
  std::map<std::string, Node> KnownEntries(std::vector<std::string> known);
  // The value under key whatever its shape (absent: a null Node), for keys that take several
  // shapes (a string or a list); marks the key as known.
  Node Value(std::string_view key);
  // Scalar text of this node itself (for sequence elements that are plain values).
  std::string Scalar() const;
  bool IsScalar() const;

  // Records a validation error at key (line of the key if present, else of this node).
  void Error(std::string_view key, std::string message);
  // Errors recorded in the whole document so far. A parser that must know whether one section
  // was valid (to build nothing from it otherwise) compares the count before and after reading
  // it.
  size_t error_count() const;

 private:
  friend class Document;
  Node(Document* doc, std::shared_ptr<YAML::Node> node, std::string path, int key_line);
  std::string KeyPath(std::string_view key) const;
  // Line for an error about `key`: the key's own line, else this node's key, else this node.
  int ErrorLine(std::string_view key) const;
  // Records that the program knows `key` here (for Finish's unknown-key report).
  void Touch(std::string_view key);
  Document* doc_;
  std::shared_ptr<YAML::Node> node_;  // null when absent
  std::string path_;
  int key_line_ = 0;         // line of the mapping key that led to this node, 0 for root/elements
  bool wrong_type_ = false;  // present but not a mapping: already reported, Require stays quiet
};

class Document {
 public:
  // Parse errors come back as InvalidArgument "<file>:<line>: <yaml message>".
  static Result<std::unique_ptr<Document>> LoadFile(const std::string& path);
  static Result<std::unique_ptr<Document>> LoadString(const std::string& text,
                                                      std::string display_name);
  ~Document();
  Node root();
  // Reports unknown keys, then returns OK or InvalidArgument listing every error, one per line,
  // in document order.
  Status Finish();
  const std::vector<ConfigError>& errors() const { return errors_; }
  const std::string& name() const { return name_; }
  // The directory of the file, for resolving relative paths (empty for strings).
  const std::string& base_dir() const { return base_dir_; }

 private:
  friend class Node;
  Document() = default;
  void AddError(int line, std::string path, std::string message);
  void MarkRead(const std::string& parent_path, std::string_view key);
  void CheckUnknownKeys(const YAML::Node& node, const std::string& path, bool is_root);
  std::string name_;
  std::string base_dir_;
  std::shared_ptr<YAML::Node> root_;
  std::vector<ConfigError> errors_;
  // Mapping path -> keys the program asked for there (present or not).
  std::map<std::string, std::set<std::string>> read_keys_;
  bool finished_ = false;
};

}  // namespace beacon::config
