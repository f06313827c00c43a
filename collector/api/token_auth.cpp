// Bearer-token authentication for the agent and admin routes.
#include "collector/api/token_auth.h"

#include "common/crypto/crypto.h"
#include "common/strings.h"

namespace beacon::collector {

std::string TokenAuth::BearerToken(const http::Headers& headers) {
  const std::string value = headers.Get("authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return "";
  if (Lower(std::string_view(value).substr(0, kScheme.size())) != kScheme) return "";
  size_t begin = kScheme.size();
  while (begin < value.size() && value[begin] == ' ') ++begin;
  size_t end = value.size();
  while (end > begin && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
  return value.substr(begin, end - begin);
}

bool TokenAuth::IsAdminToken(std::string_view token) const {
  return !admin_token_.empty() && crypto::ConstantTimeEquals(token, admin_token_);
}

Result<std::string> TokenAuth::AuthenticateAgent(const http::ServerRequest& request) const {
  const std::string token = BearerToken(request.headers);
  if (token.empty()) return Status::Unauthenticated("missing bearer token");
  if (IsAdminToken(token)) {
    return Status::PermissionDenied("the admin token cannot be used to ingest; use an agent token");
  }
  Result<TokenInfo> info = store_->LookupToken(crypto::Sha256Hex(token), clock_->NowMs());
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kNotFound) {
      return Status::Unauthenticated("unknown or revoked token");
    }
    return Status::Unavailable("store unavailable");
  }
  if (info->revoked_ms) return Status::Unauthenticated("unknown or revoked token");
  // With listen.tls_client_auth, an agent that presents a certificate must present its own:
  // a stolen token is useless without the matching host's key.
  if (!request.client_cert_subject.empty() && request.client_cert_subject != info->agent) {
    return Status::PermissionDenied("the client certificate (CN " + request.client_cert_subject +
                                    ") does not belong to agent " + info->agent);
  }
  return info->agent;
}

Result<std::string> TokenAuth::AuthenticateAdmin(const http::ServerRequest& request) const {
  const std::string token = BearerToken(request.headers);
  if (token.empty()) return Status::Unauthenticated("missing bearer token");
  if (IsAdminToken(token)) return std::string(kAdminPrincipal);
  // Tell an agent token apart from garbage: a known agent is forbidden, a stranger is not known.
  Result<TokenInfo> info = store_->LookupToken(crypto::Sha256Hex(token), clock_->NowMs());
  if (info.ok() && !info->revoked_ms) {
    return Status::PermissionDenied("agent tokens cannot use the admin API");
  }
  if (!info.ok() && info.status().code() != StatusCode::kNotFound) {
    return Status::Unavailable("store unavailable");
  }
  return Status::Unauthenticated("unknown or revoked token");
}

http::RouteOptions TokenAuth::AdminRoute(int64_t max_body_bytes) const {
  http::RouteOptions options;
  options.max_body_bytes = max_body_bytes;
  options.auth = [this](const http::ServerRequest& r) { return AuthenticateAdmin(r); };
  return options;
}

http::RouteOptions TokenAuth::AgentRoute(int64_t max_body_bytes) const {
  http::RouteOptions options;
  options.max_body_bytes = max_body_bytes;
  options.auth = [this](const http::ServerRequest& r) { return AuthenticateAgent(r); };
  return options;
}

}  // namespace beacon::collector
