// One collector API call as every beaconctl command makes it, and the reply field readers.
#include "ctl/call.h"

#include <utility>

#include "common/json/parse.h"
#include "common/strings.h"
#include "ctl/format.h"

namespace beacon::ctl {

using nlohmann::json;

CallResult Call(CommandContext& ctx, std::string_view method, const std::string& path,
                const Query& query, std::string body, std::string_view not_found_hint,
                std::optional<Result<ApiReply>> received) {
  CallResult result;
  auto fail = [&](const Failure& failure) {
    ctx.err << FormatFailure(failure);
    result.exit_code = failure.exit_code;
    return result;
  };
  auto reply = received ? std::move(*received) : ctx.api.Send(method, path, query, std::move(body));
  if (!reply.ok()) {
    return fail(DescribeTransportFailure(reply.status(), ctx.api.base_url(), ctx.api.timeout_ms()));
  }
  if (reply->status >= 400) {
    return fail(DescribeHttpError(reply->status, reply->body, not_found_hint));
  }
  if (reply->status < 200 || reply->status >= 300) {
    return fail(DescribeBadReply("HTTP " + std::to_string(reply->status) + " for " + path));
  }
  if (TrimWhitespace(reply->body).empty()) {
    result.body = json::object();
    return result;
  }
  Result<json> parsed = ParseJson(reply->body);
  if (!parsed.ok()) {
    return fail(DescribeBadReply("the body is not JSON (" + parsed.status().message() + ")"));
  }
  result.body = std::move(*parsed);
  result.raw = std::move(reply->body);
  return result;
}

int PrintJson(CommandContext& ctx, const CallResult& call) {
  const std::string raw = call.raw.empty() ? call.body.dump() : call.raw;
  ctx.out << raw;
  if (raw.empty() || raw.back() != '\n') ctx.out << '\n';
  return kExitOk;
}

int PrintRendered(CommandContext& ctx, const Result<std::string>& text) {
  if (!text.ok()) {
    ctx.err << FormatFailure(DescribeBadReply(text.status().message()));
    return kExitCollectorError;
  }
  ctx.out << *text;
  return kExitOk;
}

std::string Text(const json& object, const char* key) {
  if (!object.is_object()) return "-";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_number_unsigned()) return it->dump();
  if (it->is_number_float()) return FormatNumber(it->get<double>());
  return it->dump();
}

std::string Time(const json& object, const char* key, const TimeZone& tz) {
  std::string raw = Text(object, key);
  if (raw == "-") return raw;
  auto ms = ParseRfc3339(raw);
  return ms.ok() ? tz.Format(*ms) : raw;
}

Result<const json*> ArrayField(const json& reply, const char* key) {
  if (!reply.is_object()) return Status::InvalidArgument("expected a JSON object");
  auto it = reply.find(key);
  if (it == reply.end() || !it->is_array()) {
    return Status::InvalidArgument(std::string("no \"") + key + "\" array");
  }
  return &*it;
}

}  // namespace beacon::ctl
