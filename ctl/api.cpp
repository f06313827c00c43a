// CollectorApi requests and the mapping of failures to operator messages and exit codes.
#include "ctl/api.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/json/parse.h"
#include "common/url.h"
#include "ctl/format.h"

namespace beacon::ctl {
namespace {

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// The collector's {"error": "..."}; for anything else (a proxy's HTML page) a short,
// single-line excerpt of the body.
std::string ErrorText(std::string_view body) {
  Result<nlohmann::json> json = ParseJson(body);
  if (json.ok() && json->is_object() && json->contains("error") && (*json)["error"].is_string()) {
    return SanitizeCell((*json)["error"].get<std::string>());
  }
  std::string excerpt = SanitizeCell(body);
  while (!excerpt.empty() && excerpt.back() == ' ') excerpt.pop_back();
  return TruncateToWidth(excerpt, 200);
}

}  // namespace

CollectorApi::CollectorApi(http::HttpClient& client, std::string base_url, std::string token,
                           int64_t timeout_ms)
    : client_(client),
      base_url_(std::move(base_url)),
      token_(std::move(token)),
      timeout_ms_(timeout_ms) {}

std::string CollectorApi::Url(std::string_view path, const Query& query) const {
  std::string url = base_url_ + std::string(path);
  char separator = '?';
  for (const auto& [key, value] : query) {
    url += separator;
    url += PercentEncode(key) + "=" + PercentEncode(value);
    separator = '&';
  }
  return url;
}

Result<ApiReply> CollectorApi::Send(std::string_view method, std::string_view path,
                                    const Query& query, std::string body) {
  http::HttpRequest request;
  request.method = std::string(method);
  request.url = Url(path, query);
  request.timeout_ms = timeout_ms_;
  request.headers.Set("Accept", "application/json");
  if (!token_.empty()) request.headers.Set("Authorization", "Bearer " + token_);
  if (!body.empty()) request.headers.Set("Content-Type", "application/json");
  request.body = std::move(body);
  BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, client_.Send(request));
  return ApiReply{response.status, std::move(response.body)};
}

Failure DescribeTransportFailure(const Status& status, std::string_view base_url,
                                 int64_t timeout_ms) {
  Failure failure;
  failure.exit_code = kExitCannotConnect;
  if (status.code() == StatusCode::kDeadlineExceeded) {
    failure.message = "no answer from " + std::string(base_url) + " within " +
                      RoughDuration(timeout_ms) + ": " + status.message();
    failure.hint = "is beacon-collector running at " + std::string(base_url) +
                   " and reachable? (raise --timeout for slow links)";
  } else {
    failure.message = "cannot connect to " + std::string(base_url) + ": " + status.message();
    failure.hint =
        "is beacon-collector running at " + std::string(base_url) + "? (set --url or BEACON_URL)";
  }
  return failure;
}

Failure DescribeHttpError(int status, std::string_view body, std::string_view not_found_hint) {
  Failure failure;
  failure.exit_code = kExitCollectorError;
  std::string reason = ReasonPhrase(status);
  failure.message = "collector: " + ErrorText(body) + " (HTTP " + std::to_string(status) +
                    (reason.empty() ? "" : " " + reason) + ")";
  switch (status) {
    case 401:
      failure.hint =
          "check --token-file / BEACON_TOKEN_FILE (or BEACON_TOKEN): it must hold the "
          "collector's admin token (api.admin_token_file)";
      break;
    case 403:
      failure.hint =
          "this token may not do that: use the collector's admin token "
          "(api.admin_token_file), not an agent token";
      break;
    case 404:
      failure.hint = std::string(not_found_hint);
      break;
    case 400:
      failure.hint = "check the arguments (see beaconctl --help)";
      break;
    case 503:
      failure.hint =
          "the collector cannot use its store right now; retry, and check the "
          "collector's log";
      break;
    default:
      if (status >= 500) failure.hint = "check the collector's log";
      break;
  }
  return failure;
}

Failure DescribeBadReply(std::string_view what) {
  Failure failure;
  failure.exit_code = kExitCollectorError;
  failure.message = "unexpected reply from the collector: " + std::string(what);
  failure.hint =
      "is --url pointing at beacon-collector, and are beaconctl and the collector "
      "the same version?";
  return failure;
}

std::string FormatFailure(const Failure& failure) {
  std::string text = "beaconctl: " + failure.message + "\n";
  if (!failure.hint.empty()) text += "  hint: " + failure.hint + "\n";
  return text;
}

}  // namespace beacon::ctl
