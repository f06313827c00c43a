// DNS commands over the zones of bot.dns (bot/dns/provider.h): `dns show ZONE NAME` reads a
// name's records; `dns set ZONE NAME TYPE VALUE [TTL]` previews the exact change (the records of
// that name and type now, the one record after) and, after `confirm CODE`, sets it and reports
// what the server reads back.
#include <optional>

#include "bot/commands/format.h"
#include "bot/commands/registry.h"
#include "bot/dns/provider.h"

namespace beacon::bot {
namespace {

Status NotWired(const CommandContext& ctx) {
  return Status::FailedPrecondition(std::string(ctx.Say(
      "DNS is not configured here (no bot.dns.zones)", "此处未配置 DNS（没有 bot.dns.zones）")));
}

std::vector<dns::DnsRecord> OfType(const std::vector<dns::DnsRecord>& records,
                                   dns::RecordType type) {
  std::vector<dns::DnsRecord> out;
  for (const dns::DnsRecord& r : records) {
    if (r.type == type) out.push_back(r);
  }
  return out;
}

std::vector<dns::DnsRecord> NotOfType(const std::vector<dns::DnsRecord>& records,
                                      dns::RecordType type) {
  std::vector<dns::DnsRecord> out;
  for (const dns::DnsRecord& r : records) {
    if (r.type != type) out.push_back(r);
  }
  return out;
}

// The absolute name `name` means in `zone`, for headings; `name` as typed if it does not resolve.
std::string Absolute(std::string_view zone, std::string_view name) {
  Result<std::string> normalized = dns::NormalizeZoneName(zone);
  if (!normalized.ok()) return std::string(name);
  Result<std::string> fqdn = dns::ResolveName(*normalized, name);
  return fqdn.ok() ? *fqdn : std::string(name);
}

Result<CommandOutcome> Show(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.dns) return NotWired(ctx);
  BEACON_ASSIGN_OR_RETURN(std::vector<dns::DnsRecord> records,
                          ctx.ports.dns->Show(args[0], args[1]));
  const std::string fqdn = Absolute(args[0], args[1]);
  std::vector<std::string> lines;
  if (records.empty()) {
    lines.push_back(ctx.zh ? fqdn + " 没有 A、AAAA、CNAME 或 TXT 记录（区域 " + args[0] + "）"
                           : fqdn + " has no A, AAAA, CNAME or TXT record (zone " + args[0] + ")");
  } else {
    lines.push_back(ctx.zh ? fqdn + "（区域 " + args[0] + "）共 " + std::to_string(records.size()) +
                                 " 条记录："
                           : fqdn + " in zone " + args[0] + ", " + std::to_string(records.size()) +
                                 (records.size() == 1 ? " record:" : " records:"));
    for (const dns::DnsRecord& r : records) lines.push_back(dns::FormatRecord(r));
  }
  return CommandOutcome(
      Reply{Reply::Format::kText, JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)});
}

Result<CommandOutcome> Set(CommandContext& ctx, const std::vector<std::string>& args) {
  const dns::DnsZones* zones = ctx.ports.dns;
  if (!zones) return NotWired(ctx);
  const std::string zone = args[0];
  std::optional<int64_t> ttl;
  if (args.size() == 5) {
    BEACON_ASSIGN_OR_RETURN(ttl, ParseId("TTL", args[4]));
  }
  BEACON_ASSIGN_OR_RETURN(dns::DnsRecord record,
                          zones->Prepare(zone, args[1], args[2], args[3], ttl));
  BEACON_ASSIGN_OR_RETURN(std::vector<dns::DnsRecord> now, zones->Show(zone, record.name));
  const std::vector<dns::DnsRecord> before = OfType(now, record.type);
  const std::vector<dns::DnsRecord> others = NotOfType(now, record.type);
  const std::string what = record.name + " " + std::string(dns::RecordTypeName(record.type));
  if (before == std::vector<dns::DnsRecord>{record}) {
    return CommandOutcome(
        Reply{Reply::Format::kText,
              ctx.zh ? what + " 已经是 " + dns::FormatRecord(record) + "，无需修改。"
                     : what + " already is " + dns::FormatRecord(record) + "; nothing to change."});
  }

  Plan plan;
  if (ctx.zh) {
    plan.preview = "修改区域 " + zone + " 的解析记录 " + what + "：\n修改前：" +
                   dns::FormatRecords(before) + "\n修改后：" + dns::FormatRecord(record);
    if (!others.empty()) plan.preview += "\n该名称的其他记录不变：" + dns::FormatRecords(others);
  } else {
    plan.preview = "Change " + what + " in zone " + zone +
                   ":\nbefore: " + dns::FormatRecords(before) +
                   "\nafter:  " + dns::FormatRecord(record);
    if (!others.empty()) {
      plan.preview += "\nthe name's other records stay: " + dns::FormatRecords(others);
    }
  }
  const bool zh = ctx.zh;
  plan.apply = [zones, zone, record, before, what, zh]() -> Result<ApplyResult> {
    BEACON_ASSIGN_OR_RETURN(dns::DnsChange change, zones->Set(zone, record));
    ApplyResult result;
    const std::string was = dns::FormatRecords(OfType(change.before, record.type));
    result.text = zh ? "✅ 已修改 " + what + "。服务器现在的记录：" +
                           dns::FormatRecords(change.after) + "\n修改前：" + was
                     : "✅ Set " + what +
                           ". The server now has: " + dns::FormatRecords(change.after) +
                           "\nbefore: " + was;
    if (OfType(change.before, record.type) != before) {
      result.text += zh ? "\n注意：预览之后、确认之前该记录已被他人修改（预览时为 " +
                              dns::FormatRecords(before) + "）"
                        : "\nnote: the record changed between the preview and the confirmation "
                          "(the preview showed " +
                              dns::FormatRecords(before) + ")";
    }
    result.request_ids = change.request_ids;
    return result;
  };
  return CommandOutcome(std::move(plan));
}

}  // namespace

std::vector<CommandSpec> DnsCommands() {
  std::vector<CommandSpec> c;
  c.push_back(CommandSpec("dns show", Role::kOperator, "ZONE NAME", Show)
                  .Zh({"解析 查看", "解析查看"})
                  .Help("the A, AAAA, CNAME and TXT records of a name in a configured zone",
                        "查看已配置区域中某个名称的 A、AAAA、CNAME 和 TXT 记录")
                  .Example("dns show example.com www"));
  c.push_back(CommandSpec("dns set", Role::kOperator, "ZONE NAME TYPE VALUE [TTL]", Set)
                  .Zh({"解析 修改", "解析修改"})
                  .Mutating()
                  .Help("replace the records of a name and type with one record (read back "
                        "afterwards)",
                        "把某个名称某种类型的记录改为一条新记录（修改后回读核对）")
                  .Example("dns set example.com www A 192.0.2.10 300"));
  return c;
}

}  // namespace beacon::bot
