// The collector's REST API (docs/api.md) as beaconctl sees it: requests with the admin bearer
// token over an injected HttpClient, and the mapping of failures to an operator message, a hint
// on what to do and the process exit code. Not thread-safe (one command at a time).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/client.h"
#include "common/status.h"

namespace beacon::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCollectorError = 1;  // the collector answered with an error
inline constexpr int kExitUsage = 2;           // bad command line or local setup
inline constexpr int kExitCannotConnect = 3;   // no answer from the collector

using Query = std::vector<std::pair<std::string, std::string>>;

struct ApiReply {
  int status = 0;
  std::string body;
};

class CollectorApi {
 public:
  // `base_url` without a trailing '/'; `token` is sent as "Authorization: Bearer" and never
  // appears in any message.
  CollectorApi(http::HttpClient& client, std::string base_url, std::string token,
               int64_t timeout_ms);

  // Any HTTP status is a reply; only transport failures (connect, DNS, TLS, timeout) are
  // errors, with the client's Status.
  Result<ApiReply> Send(std::string_view method, std::string_view path, const Query& query = {},
                        std::string body = "");
  // base_url + path + "?k=v&..." with every value URL-encoded.
  std::string Url(std::string_view path, const Query& query = {}) const;

  const std::string& base_url() const { return base_url_; }
  int64_t timeout_ms() const { return timeout_ms_; }

 private:
  http::HttpClient& client_;
  std::string base_url_;
  std::string token_;
  int64_t timeout_ms_;
};

// What to tell the operator and how to exit.
struct Failure {
  int exit_code = kExitCollectorError;
  std::string message;  // one line, without the "beaconctl: " prefix
  std::string hint;     // what to do; may be empty
};

// A transport failure: exit 3, "is beacon-collector running at URL?".
Failure DescribeTransportFailure(const Status& status, std::string_view base_url,
                                 int64_t timeout_ms);
// An HTTP error reply (status >= 400): exit 1, the collector's {"error"} text and a hint by
// status (401: check the token file; 403: not an admin token; 503: the store...).
// `not_found_hint` is used for 404, which means different things per command.
Failure DescribeHttpError(int status, std::string_view body, std::string_view not_found_hint);
// A 2xx reply whose body is not what docs/api.md promises.
Failure DescribeBadReply(std::string_view what);

// "beaconctl: <message>\n  hint: <hint>\n".
std::string FormatFailure(const Failure& failure);

}  // namespace beacon::ctl
