// spdlog setup (text or JSON lines, stderr or file) behind a sink wrapper that redacts every
// message before any real sink formats it, so no code path can log a registered secret.
#include "common/log/log.h"

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "common/strings.h"

namespace beacon::log {
namespace {

constexpr std::string_view kMask = "***";
constexpr size_t kMinSecretLength = 4;

// Registered secrets, longest first so a secret that contains another is masked whole.
class SecretRegistry {
 public:
  void Add(std::string_view value) {
    MutexLock lock(mutex_);
    if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
    secrets_.emplace_back(value);
    std::stable_sort(
        secrets_.begin(), secrets_.end(),
        [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }

  void MaskAll(std::string* text) const {
    MutexLock lock(mutex_);
    for (const std::string& secret : secrets_) {
      size_t pos = 0;
      while ((pos = text->find(secret, pos)) != std::string::npos) {
        text->replace(pos, secret.size(), kMask);
        pos += kMask.size();
      }
    }
  }

 private:
  mutable Mutex mutex_;
  std::vector<std::string> secrets_ BEACON_GUARDED_BY(mutex_);
};

SecretRegistry& Registry() {
  static SecretRegistry* registry = new SecretRegistry();  // never destroyed: used at exit
  return *registry;
}

// Characters that end a token value in headers, URLs, JSON and shell-ish text.
bool EndsValue(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '&' ||
         c == '#' || c == '<' || c == '>' || c == ',' || c == ';';
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// "Bearer <credential>" anywhere (Authorization headers, curl dumps) -> "Bearer ***". The
// scheme is matched as written in practice ("Bearer") so English "bearer" stays readable.
void MaskBearer(std::string* text) {
  static constexpr std::string_view kBearer = "Bearer ";
  std::string out;
  out.reserve(text->size());
  size_t pos = 0;
  while (true) {
    size_t hit = text->find(kBearer, pos);
    if (hit == std::string::npos) break;
    size_t value_start = hit + kBearer.size();
    // Only a whole word: "NoBearer x" is ordinary text.
    if (hit > 0 && std::isalnum(static_cast<unsigned char>((*text)[hit - 1]))) {
      out.append(*text, pos, value_start - pos);
      pos = value_start;
      continue;
    }
    size_t value_end = value_start;
    while (value_end < text->size() && !EndsValue((*text)[value_end])) ++value_end;
    out.append(*text, pos, value_start - pos);
    if (value_end > value_start) out.append(kMask);
    pos = value_end;
  }
  out.append(*text, pos, std::string::npos);
  *text = std::move(out);
}

// Parameter names whose values are credentials: token, key, access_token, and any *_token /
// *_key (api_key, refresh_token). "monkey=" is not one of them.
bool IsCredentialName(std::string_view name) {
  std::string lower = Lower(name);
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return lower == "token" || lower == "key" || ends_with("_token") || ends_with("_key") ||
         ends_with("-token") || ends_with("-key");
}

// "token=abc&x=1" -> "token=***&x=1".
void MaskQueryParams(std::string* text) {
  std::string out;
  out.reserve(text->size());
  size_t pos = 0;
  size_t copied = 0;
  while ((pos = text->find('=', pos)) != std::string::npos) {
    size_t name_start = pos;
    while (name_start > 0 && IsNameChar((*text)[name_start - 1])) --name_start;
    size_t value_start = pos + 1;
    if (name_start == pos ||
        !IsCredentialName(std::string_view(*text).substr(name_start, pos - name_start))) {
      pos = value_start;
      continue;
    }
    size_t value_end = value_start;
    while (value_end < text->size() && !EndsValue((*text)[value_end])) ++value_end;
    out.append(*text, copied, value_start - copied);
    if (value_end > value_start) out.append(kMask);
    copied = value_end;
    pos = value_end;
  }
  out.append(*text, copied, std::string::npos);
  *text = std::move(out);
}

// RFC 3339 UTC with milliseconds, matching the text pattern's timestamp.
std::string FormatUtc(spdlog::log_clock::time_point tp) {
  auto since_epoch = tp.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs);
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 40> buf{};
  size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf.data(), n);
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03dZ", static_cast<int>(millis.count()));
  return out + ms;
}

// One JSON object per line: {"ts","level","component","msg"}.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string component) : component_(std::move(component)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line;
    line["ts"] = FormatUtc(msg.time);
    auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["component"] = component_;
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
    // Invalid UTF-8 from the outside world must not make logging throw.
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(component_);
  }

 private:
  std::string component_;
};

// Wraps the real sink: redacts the payload, then forwards. Installed as the only sink of the
// default logger so spdlog::info(...) from anywhere passes through it.
class RedactingSink final : public spdlog::sinks::sink {
 public:
  explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

  void log(const spdlog::details::log_msg& msg) override {
    std::string redacted = Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

bool ParseLevel(std::string_view name, spdlog::level::level_enum* out) {
  static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  };
  for (const auto& [level_name, level] : kLevels) {
    if (level_name == name) {
      *out = level;
      return true;
    }
  }
  return false;
}

// The component goes into a spdlog pattern literally; '%' would start a flag.
std::string EscapePattern(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out.push_back('%');
    out.push_back(c);
  }
  return out;
}

}  // namespace

void RegisterSecret(std::string_view value) {
  if (value.size() < kMinSecretLength) return;
  Registry().Add(value);
}

std::string Redact(std::string_view text) {
  std::string out(text);
  Registry().MaskAll(&out);
  MaskBearer(&out);
  MaskQueryParams(&out);
  return out;
}

Status Init(const LogOptions& options, std::string_view component) {
  spdlog::level::level_enum level;
  if (!ParseLevel(options.level, &level)) {
    return Status::InvalidArgument("unknown log level '" + options.level +
                                   "' (expected one of: trace, debug, info, warn, error, "
                                   "critical, off)");
  }
  std::shared_ptr<spdlog::sinks::sink> inner;
  if (options.file.empty()) {
    inner = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      inner = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false);
    } catch (const spdlog::spdlog_ex& e) {
      return Status::InvalidArgument("cannot open log file " + options.file + ": " + e.what());
    }
  }
  if (options.json) {
    inner->set_formatter(std::make_unique<JsonFormatter>(std::string(component)));
  } else {
    inner->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l [" + EscapePattern(component) + "] %v",
        spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>(std::string(component),
                                                 std::make_shared<RedactingSink>(inner));
  logger->set_level(level);
  // Operators tail these files and crashes must not lose the last lines; volume is low.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return Status::Ok();
}

}  // namespace beacon::log
