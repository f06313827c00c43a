// TokenAuth: decides who a request is from its Authorization header alone, before any body byte
// is read. Agent tokens are looked up by SHA-256 in the store; the admin token is compared in
// constant time. Error messages never contain a token. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "collector/store/event_store.h"
#include "common/clock.h"
#include "common/http/server.h"
#include "common/status.h"

namespace beacon::collector {

inline constexpr char kAdminPrincipal[] = "admin";

class TokenAuth {
 public:
  TokenAuth(EventStore* store, const Clock* clock, std::string admin_token)
      : store_(store), clock_(clock), admin_token_(std::move(admin_token)) {}

  // The agent name the bearer token belongs to. Unauthenticated (401) when the header is missing
  // or the token is unknown or revoked; PermissionDenied (403) for the admin token, or when a
  // verified TLS client certificate names another agent (its CN must be the agent name).
  Result<std::string> AuthenticateAgent(const http::ServerRequest& request) const;
  // kAdminPrincipal for the admin token. Unauthenticated (401) when missing or unknown;
  // PermissionDenied (403) for a valid agent token.
  Result<std::string> AuthenticateAdmin(const http::ServerRequest& request) const;

  // Route options for admin-token and agent-token routes with this body limit (the default:
  // routes that take no body). The routes call back into this object, which must outlive them.
  static constexpr int64_t kNoBody = 4096;
  http::RouteOptions AdminRoute(int64_t max_body_bytes = kNoBody) const;
  http::RouteOptions AgentRoute(int64_t max_body_bytes = kNoBody) const;

  // The token of "Authorization: Bearer <token>" (scheme case-insensitive); empty if none.
  static std::string BearerToken(const http::Headers& headers);

 private:
  bool IsAdminToken(std::string_view token) const;

  EventStore* store_;
  const Clock* clock_;
  std::string admin_token_;
};

}  // namespace beacon::collector
