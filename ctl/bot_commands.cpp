// beaconctl chat, audit, audit verify; see bot_commands.h.
#include "ctl/bot_commands.h"

#include "ctl/call.h"
#include "ctl/format.h"

namespace beacon::ctl {
namespace {

using json = nlohmann::json;

constexpr size_t kResultWidth = 60;

}  // namespace

Result<std::string> ChatUser(const std::map<std::string, std::string>& options,
                             const Getenv& getenv) {
  auto it = options.find("as");
  if (it != options.end() && !it->second.empty()) return it->second;
  for (const char* name : {"BEACON_CHAT_USER", "USER", "LOGNAME"}) {
    if (auto v = getenv(name); v && !v->empty()) return *v;
  }
  return Status::InvalidArgument(
      "no chat user: pass --as USER or set BEACON_CHAT_USER (a name in bot.local_users)");
}

int RunChat(CommandContext& ctx, const std::string& user, const std::string& text) {
  const json body = {{"user", user}, {"text", text}};
  CallResult call = Call(ctx, "POST", "/api/v1/chat", {}, body.dump(),
                         "this collector has no chat bot (no bot: section in collector.yaml)");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  auto reply = call.body.find("reply");
  if (!call.body.is_object() || reply == call.body.end() || !reply->is_string()) {
    ctx.err << FormatFailure(DescribeBadReply("no \"reply\" text in the reply"));
    return kExitCollectorError;
  }
  const std::string& text_out = reply->get_ref<const std::string&>();
  ctx.out << text_out;
  if (text_out.empty() || text_out.back() != '\n') ctx.out << '\n';
  return kExitOk;
}

Result<std::string> RenderAudit(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* entries, ArrayField(reply, "entries"));
  if (entries->empty()) return std::string("No audit entries.\n");
  Table table({"ID", "TIME", "USER", "CHANNEL", "COMMAND", "ARGUMENTS", "DECISION", "RESULT"});
  table.SetMaxWidth(5, 40);
  table.SetMaxWidth(7, kResultWidth);
  for (const json& e : *entries) {
    std::string args;
    auto it = e.find("arguments");
    if (it != e.end() && it->is_array()) {
      for (const json& a : *it) {
        if (!a.is_string()) continue;
        if (!args.empty()) args += ' ';
        args += a.get<std::string>();
      }
    }
    table.AddRow({Text(e, "id"), Time(e, "time", tz), Text(e, "user"), Text(e, "channel"),
                  Text(e, "command"), args.empty() ? "-" : args, Text(e, "decision"),
                  Text(e, "result")});
  }
  return table.Render();
}

int RunAudit(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  Query query;
  for (const char* key : {"since", "user", "limit"}) {
    auto it = options.find(key);
    if (it != options.end()) query.emplace_back(key, it->second);
  }
  CallResult call = Call(ctx, "GET", "/api/v1/audit", query, "",
                         "this collector has no chat bot (no bot: section in collector.yaml)");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderAudit(call.body, ctx.tz));
}

int RunAuditVerify(CommandContext& ctx) {
  CallResult call = Call(ctx, "GET", "/api/v1/audit/verify", {}, "",
                         "this collector has no chat bot (no bot: section in collector.yaml)");
  if (!call.ok()) return call.exit_code;
  auto ok = call.body.find("ok");
  if (!call.body.is_object() || ok == call.body.end() || !ok->is_boolean()) {
    ctx.err << FormatFailure(DescribeBadReply("no \"ok\" in the reply"));
    return kExitCollectorError;
  }
  if (ctx.json) {
    PrintJson(ctx, call);
    return ok->get<bool>() ? kExitOk : kExitCollectorError;
  }
  if (ok->get<bool>()) {
    ctx.out << "Audit log intact: " << Text(call.body, "rows") << " rows, hash chain verified.\n";
    return kExitOk;
  }
  ctx.out << "Audit log BROKEN at row " << Text(call.body, "first_bad_id") << ": "
          << Text(call.body, "problem") << "\n";
  return kExitCollectorError;
}

}  // namespace beacon::ctl
