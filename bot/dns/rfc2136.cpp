// rfc2136: DNS UPDATE and queries with TSIG through ldns (Debian libldns-dev), which builds,
// signs, verifies and parses the messages and carries them over UDP and TCP; this file chooses
// what to send and turns every answer into a clear Status.
#include "bot/dns/rfc2136.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <utility>

#include "bot/dns/ldns.h"
#include "common/crypto/crypto.h"
#include "common/strings.h"

namespace beacon::bot::dns {
namespace {

// Owners of ldns objects.
struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct RrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct RrListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct BufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
struct MallocFree {
  void operator()(void* p) const { std::free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListFree>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferFree>;

constexpr size_t kHeaderBytes = 12;
constexpr size_t kMaxUdpRequestBytes = 512;  // larger requests go over TCP
// RFC 8945 TSIG error codes.
constexpr int kBadSig = 16;
constexpr int kBadKey = 17;
constexpr int kBadTime = 18;
constexpr int kBadTrunc = 22;

std::string ErrorText(ldns_status status) {
  const char* text = ldns_get_errorstr_by_id(status);
  return text ? text : "ldns error " + std::to_string(static_cast<int>(status));
}

// ldns's text form of an rdf (a name: "www.example.com."), lower-cased.
std::string RdfText(const ldns_rdf* rdf) {
  if (rdf == nullptr) return "";
  std::unique_ptr<char, MallocFree> text(ldns_rdf2str(rdf));
  return text ? Lower(text.get()) : "";
}

ldns_rr_type LdnsType(RecordType type) {
  switch (type) {
    case RecordType::kA:
      return LDNS_RR_TYPE_A;
    case RecordType::kAaaa:
      return LDNS_RR_TYPE_AAAA;
    case RecordType::kCname:
      return LDNS_RR_TYPE_CNAME;
    case RecordType::kTxt:
      return LDNS_RR_TYPE_TXT;
  }
  return LDNS_RR_TYPE_A;
}

Result<RdfPtr> Dname(const std::string& name) {
  RdfPtr rdf(ldns_dname_new_frm_str(name.c_str()));
  if (!rdf) return Status::InvalidArgument("'" + name + "' is not a valid DNS name");
  return rdf;
}

// The record's rdata fields, owned by the caller until pushed into an RR.
Result<std::vector<RdfPtr>> Rdata(const DnsRecord& record) {
  std::vector<RdfPtr> fields;
  switch (record.type) {
    case RecordType::kA:
    case RecordType::kAaaa: {
      RdfPtr rdf(
          ldns_rdf_new_frm_str(record.type == RecordType::kA ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                               record.value.c_str()));
      if (!rdf) return Status::InvalidArgument("'" + record.value + "' is not an address");
      fields.push_back(std::move(rdf));
      break;
    }
    case RecordType::kCname: {
      BEACON_ASSIGN_OR_RETURN(RdfPtr rdf, Dname(record.value));
      fields.push_back(std::move(rdf));
      break;
    }
    case RecordType::kTxt: {
      // Character-strings of at most 255 bytes, each with its length byte (RFC 1035 3.3.14).
      for (size_t at = 0; at < record.value.size(); at += 255) {
        const std::string chunk = record.value.substr(at, 255);
        std::string data(1, static_cast<char>(chunk.size()));
        data += chunk;
        fields.emplace_back(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, data.size(), data.data()));
        if (!fields.back()) return Status::Internal("ldns could not allocate a TXT string");
      }
      break;
    }
  }
  return fields;
}

// An RR of record's name and type; class, TTL and rdata as given.
Result<RrPtr> MakeRr(const DnsRecord& record, ldns_rr_class rr_class, uint32_t ttl,
                     std::vector<RdfPtr> rdata) {
  RrPtr rr(ldns_rr_new());
  if (!rr) return Status::Internal("ldns could not allocate a record");
  BEACON_ASSIGN_OR_RETURN(RdfPtr owner, Dname(record.name));
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), LdnsType(record.type));
  ldns_rr_set_class(rr.get(), rr_class);
  ldns_rr_set_ttl(rr.get(), ttl);
  for (RdfPtr& field : rdata) {
    if (!ldns_rr_push_rdf(rr.get(), field.get())) {
      return Status::Internal("ldns could not add rdata");
    }
    field.release();  // the RR owns it now
  }
  return rr;
}

// Signs `pkt` with the key, serialises it and keeps its MAC for checking the answer.
Result<rfc2136::Message> SignAndSerialise(ldns_pkt* pkt, uint16_t id, const TsigKey& key) {
  ldns_pkt_set_id(pkt, id);
  const std::string algorithm = key.algorithm + ".";
  ldns_status status = ldns_pkt_tsig_sign(pkt, key.name.c_str(), key.secret.value().c_str(),
                                          rfc2136::kFudgeSeconds, algorithm.c_str(), nullptr);
  if (status != LDNS_STATUS_OK) {
    return Status::InvalidArgument("cannot sign with TSIG key " + key.name + " (" + key.algorithm +
                                   "): " + ErrorText(status));
  }
  const ldns_rr* tsig = ldns_pkt_tsig(pkt);
  const ldns_rdf* mac = tsig != nullptr ? ldns_rr_rdf(tsig, 3) : nullptr;
  if (mac == nullptr) return Status::Internal("ldns produced no TSIG MAC");
  rfc2136::Message message;
  message.id = id;
  message.request_mac.assign(reinterpret_cast<const char*>(ldns_rdf_data(mac)), ldns_rdf_size(mac));
  uint8_t* wire = nullptr;
  size_t size = 0;
  status = ldns_pkt2wire(&wire, pkt, &size);
  std::unique_ptr<uint8_t, MallocFree> owned(wire);
  if (status != LDNS_STATUS_OK) return Status::Internal("ldns_pkt2wire: " + ErrorText(status));
  message.wire.assign(reinterpret_cast<const char*>(wire), size);
  return message;
}

// Walks the sections of a wire message with ldns and returns how many TSIG records it has,
// refusing a TSIG that is not the last record (RFC 8945 5.1): ldns_wire2pkt keeps only the last
// TSIG it meets and loses the others, so a message with two is refused before it is parsed.
Result<int> CountTsig(const uint8_t* wire, size_t size) {
  const int counts[4] = {LDNS_QDCOUNT(wire), LDNS_ANCOUNT(wire), LDNS_NSCOUNT(wire),
                         LDNS_ARCOUNT(wire)};
  const ldns_pkt_section sections[4] = {LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
                                        LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL};
  size_t pos = kHeaderBytes;
  int tsig = 0;
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < counts[s]; ++i) {
      ldns_rr* raw = nullptr;
      ldns_status status = ldns_wire2rr(&raw, wire, size, &pos, sections[s]);
      RrPtr rr(raw);
      if (status != LDNS_STATUS_OK) return Status::Corruption(ErrorText(status));
      if (ldns_rr_get_type(rr.get()) != LDNS_RR_TYPE_TSIG) continue;
      if (s != 3 || i != counts[s] - 1) {
        return Status::Corruption("a TSIG record that is not the last record");
      }
      ++tsig;
    }
  }
  return tsig;
}

uint64_t Uint48(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_size(rdf) != 6) return 0;
  const uint8_t* d = ldns_rdf_data(rdf);
  uint64_t value = 0;
  for (int i = 0; i < 6; ++i) value = (value << 8) | d[i];
  return value;
}

int Uint16(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_size(rdf) != 2) return -1;
  return ldns_rdf2native_int16(rdf);
}

std::string TsigErrorName(int error) {
  switch (error) {
    case kBadSig:
      return "BADSIG";
    case kBadKey:
      return "BADKEY";
    case kBadTime:
      return "BADTIME";
    case kBadTrunc:
      return "BADTRUNC";
  }
  return "TSIG error " + std::to_string(error);
}

// The answer's TSIG error, spelled out for an operator.
Status TsigRejected(int error, const TsigKey& key, const std::string& server) {
  std::string why;
  switch (error) {
    case kBadSig:
      why = "the server's secret for key " + key.name + " is not ours";
      break;
    case kBadKey:
      why = "the server has no key " + key.name + " with algorithm " + key.algorithm;
      break;
    case kBadTime:
      why = "this host's clock and the server's differ by more than " +
            std::to_string(rfc2136::kFudgeSeconds) + " s";
      break;
    default:
      why = "the server did not accept our signature";
  }
  return Status::Unauthenticated("TSIG key rejected by " + server + ": NOTAUTH/" +
                                 TsigErrorName(error) + " (" + why + ")");
}

Status RcodeError(int rcode, bool tsig_present, const TsigKey& key, const std::string& server,
                  const std::string& zone, bool is_update) {
  const std::string name = rfc2136::RcodeName(rcode);
  const std::string what = is_update ? "the update of zone " + zone : "a query in zone " + zone;
  switch (rcode) {
    case LDNS_RCODE_FORMERR:
      return Status::Internal(server + " could not parse " + what + " (FORMERR)");
    case LDNS_RCODE_SERVFAIL:
      return Status::Unavailable(server + " failed to process " + what +
                                 " (SERVFAIL: is the zone loaded and, for an update, its "
                                 "journal writable?)");
    case LDNS_RCODE_NOTIMPL:
      return Status::FailedPrecondition(server + " does not implement " +
                                        (is_update ? "DNS UPDATE" : "this query") + " (NOTIMP)");
    case LDNS_RCODE_REFUSED:
      return Status::PermissionDenied(server + " refused " + what + " (REFUSED: " +
                                      (is_update
                                           ? "key " + key.name +
                                                 " may not change this name; check allow-update or "
                                                 "update-policy there)"
                                           : "check allow-query for key " + key.name + " there)"));
    case LDNS_RCODE_NOTAUTH:
      if (!tsig_present) {
        return Status::Unauthenticated("TSIG key rejected by " + server +
                                       ": NOTAUTH without a signed answer (the server did not "
                                       "accept key " +
                                       key.name + ", or is not authoritative for zone " + zone +
                                       ")");
      }
      return Status::FailedPrecondition(server + " is not authoritative for zone " + zone +
                                        " (NOTAUTH)");
    case LDNS_RCODE_NOTZONE:
      return Status::InvalidArgument(server + " says the name is not inside zone " + zone +
                                     " (NOTZONE)");
    case LDNS_RCODE_NXDOMAIN:
    case LDNS_RCODE_YXDOMAIN:
    case LDNS_RCODE_YXRRSET:
    case LDNS_RCODE_NXRRSET:
      return Status::FailedPrecondition(server + " refused " + what + ": a prerequisite failed (" +
                                        name + ")");
  }
  return Status::Unavailable(server + " answered " + what + " with " + name);
}

// The supported records of the answer section.
Result<std::vector<DnsRecord>> AnswerRecords(const ldns_pkt* pkt) {
  std::vector<DnsRecord> records;
  const ldns_rr_list* answer = ldns_pkt_answer(pkt);
  for (size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answer, i);
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) continue;
    DnsRecord record;
    record.name = RdfText(ldns_rr_owner(rr));
    record.ttl = ldns_rr_ttl(rr);
    const ldns_rr_type type = ldns_rr_get_type(rr);
    const ldns_rdf* first = ldns_rr_rd_count(rr) > 0 ? ldns_rr_rdf(rr, 0) : nullptr;
    if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) {
      const bool v4 = type == LDNS_RR_TYPE_A;
      record.type = v4 ? RecordType::kA : RecordType::kAaaa;
      if (first == nullptr || ldns_rdf_size(first) != (v4 ? 4u : 16u)) {
        return Status::Corruption("malformed " + std::string(RecordTypeName(record.type)) +
                                  " record for " + record.name);
      }
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(v4 ? AF_INET : AF_INET6, ldns_rdf_data(first), text, sizeof(text));
      record.value = text;
    } else if (type == LDNS_RR_TYPE_CNAME) {
      record.type = RecordType::kCname;
      if (first == nullptr || ldns_rdf_get_type(first) != LDNS_RDF_TYPE_DNAME) {
        return Status::Corruption("malformed CNAME record for " + record.name);
      }
      record.value = RdfText(first);
    } else if (type == LDNS_RR_TYPE_TXT) {
      record.type = RecordType::kTxt;
      for (size_t f = 0; f < ldns_rr_rd_count(rr); ++f) {
        const ldns_rdf* field = ldns_rr_rdf(rr, f);
        const size_t size = ldns_rdf_size(field);
        const uint8_t* data = ldns_rdf_data(field);
        if (size < 1 || static_cast<size_t>(data[0]) + 1 != size) {
          return Status::Corruption("malformed TXT record for " + record.name);
        }
        record.value.append(reinterpret_cast<const char*>(data) + 1, size - 1);
      }
    } else {
      continue;
    }
    records.push_back(std::move(record));
  }
  return records;
}

// Checks the answer's own TSIG: present, our key and algorithm, fresh, and a MAC that verifies.
Status VerifyAnswerTsig(ldns_pkt* pkt, std::string_view wire, const rfc2136::Message& request,
                        const TsigKey& key, int64_t now_s, const std::string& server) {
  ldns_rr* tsig = ldns_pkt_tsig(pkt);
  if (tsig == nullptr) {
    return Status::Unauthenticated("the answer from " + server +
                                   " is not TSIG-signed, so it cannot be trusted");
  }
  if (ldns_rr_rd_count(tsig) < 7) {
    return Status::Unauthenticated("the answer from " + server + " has a malformed TSIG record");
  }
  const std::string signer = RdfText(ldns_rr_owner(tsig));
  const std::string algorithm = RdfText(ldns_rr_rdf(tsig, 0));
  if (signer != key.name || algorithm != key.algorithm + ".") {
    return Status::Unauthenticated("the answer from " + server + " is signed with key " + signer +
                                   " (" + algorithm + "), not " + key.name + " (" + key.algorithm +
                                   ")");
  }
  const int64_t signed_at = static_cast<int64_t>(Uint48(ldns_rr_rdf(tsig, 1)));
  if (signed_at - now_s > rfc2136::kFudgeSeconds || now_s - signed_at > rfc2136::kFudgeSeconds) {
    return Status::Unauthenticated(
        "the answer from " + server + " was signed at " + std::to_string(signed_at) +
        ", more than " + std::to_string(rfc2136::kFudgeSeconds) +
        " s away from this host's clock (" + std::to_string(now_s) + ")");
  }
  RdfPtr mac(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request.request_mac.size(),
                                   request.request_mac.data()));
  if (!mac) return Status::Internal("ldns could not allocate the request MAC");
  // ldns_pkt_tsig_verify detaches the TSIG and swaps the id while it works and, when it fails
  // early, returns without putting them back: restore both so the packet still owns its TSIG.
  const uint16_t id = ldns_pkt_id(pkt);
  const bool verified =
      ldns_pkt_tsig_verify(pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(),
                           key.name.c_str(), key.secret.value().c_str(), mac.get());
  if (ldns_pkt_tsig(pkt) == nullptr) ldns_pkt_set_tsig(pkt, tsig);
  ldns_pkt_set_id(pkt, id);
  if (!verified) {
    return Status::Unauthenticated("the TSIG signature of the answer from " + server +
                                   " does not verify with key " + key.name);
  }
  return Status::Ok();
}

std::string HostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

namespace rfc2136 {

std::string RcodeName(int rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return kNames[rcode];
  return "RCODE " + std::to_string(rcode);
}

Result<Message> BuildQuery(const std::string& fqdn, RecordType type, uint16_t id,
                           const TsigKey& key) {
  BEACON_ASSIGN_OR_RETURN(RdfPtr name, Dname(fqdn));
  PktPtr pkt(ldns_pkt_query_new(name.release(), LdnsType(type), LDNS_RR_CLASS_IN, 0));
  if (!pkt) return Status::Internal("ldns could not build a query");
  return SignAndSerialise(pkt.get(), id, key);
}

Result<Message> BuildUpdate(const std::string& zone, const DnsRecord& record, uint16_t id,
                            const TsigKey& key) {
  // Update section (RFC 2136 2.5.2 and 2.5.1): delete the RRset (class ANY, TTL 0, no rdata),
  // then add the record. The server applies the whole section or nothing.
  BEACON_ASSIGN_OR_RETURN(RrPtr remove, MakeRr(record, LDNS_RR_CLASS_ANY, 0, {}));
  BEACON_ASSIGN_OR_RETURN(std::vector<RdfPtr> rdata, Rdata(record));
  BEACON_ASSIGN_OR_RETURN(RrPtr add, MakeRr(record, LDNS_RR_CLASS_IN,
                                            static_cast<uint32_t>(record.ttl), std::move(rdata)));
  RrListPtr updates(ldns_rr_list_new());
  if (!updates || !ldns_rr_list_push_rr(updates.get(), remove.get())) {
    return Status::Internal("ldns could not build the update section");
  }
  remove.release();
  if (!ldns_rr_list_push_rr(updates.get(), add.get())) {
    return Status::Internal("ldns could not build the update section");
  }
  add.release();
  BEACON_ASSIGN_OR_RETURN(RdfPtr zone_name, Dname(zone + "."));
  PktPtr pkt(
      ldns_update_pkt_new(zone_name.release(), LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr));
  if (!pkt) return Status::Internal("ldns could not build an update");
  ldns_pkt_set_rd(pkt.get(), false);
  return SignAndSerialise(pkt.get(), id, key);
}

Result<Answer> CheckResponse(std::string_view wire, const Message& request, const TsigKey& key,
                             int64_t now_s, const std::string& server, const std::string& zone,
                             bool is_update) {
  if (wire.size() > kMaxAnswerBytes) {
    return Status::Corruption("the answer from " + server + " is " + std::to_string(wire.size()) +
                              " bytes, more than the " + std::to_string(kMaxAnswerBytes) +
                              " accepted");
  }
  if (wire.size() < kHeaderBytes) {
    return Status::Corruption("the answer from " + server + " is shorter than a DNS header");
  }
  const auto* data = reinterpret_cast<const uint8_t*>(wire.data());
  auto tsig_count = CountTsig(data, wire.size());
  if (!tsig_count.ok()) {
    return Status::Corruption("malformed answer from " + server + ": " +
                              tsig_count.status().message());
  }
  ldns_pkt* raw = nullptr;
  ldns_status status = ldns_wire2pkt(&raw, data, wire.size());
  PktPtr pkt(raw);
  if (status != LDNS_STATUS_OK || !pkt) {
    return Status::Corruption("malformed answer from " + server + ": " + ErrorText(status));
  }
  if (ldns_pkt_id(pkt.get()) != request.id || !ldns_pkt_qr(pkt.get())) {
    return Status::Corruption(
        "the answer from " + server + " is not a response to our request (id " +
        std::to_string(ldns_pkt_id(pkt.get())) + ", expected " + std::to_string(request.id) + ")");
  }
  const ldns_pkt_opcode expected = is_update ? LDNS_PACKET_UPDATE : LDNS_PACKET_QUERY;
  if (ldns_pkt_get_opcode(pkt.get()) != expected) {
    return Status::Corruption("the answer from " + server + " has another opcode than our request");
  }
  Answer answer;
  if (ldns_pkt_tc(pkt.get())) {
    answer.truncated = true;
    return answer;
  }
  const ldns_rr* tsig = ldns_pkt_tsig(pkt.get());
  if (tsig != nullptr && ldns_rr_rd_count(tsig) >= 7) {
    const int error = Uint16(ldns_rr_rdf(tsig, 5));
    if (error != 0) return TsigRejected(error, key, server);
  }
  const int rcode = ldns_pkt_get_rcode(pkt.get());
  if (rcode != LDNS_RCODE_NOERROR && !(rcode == LDNS_RCODE_NXDOMAIN && !is_update)) {
    return RcodeError(rcode, tsig != nullptr, key, server, zone, is_update);
  }
  BEACON_RETURN_IF_ERROR(VerifyAnswerTsig(pkt.get(), wire, request, key, now_s, server));
  BEACON_ASSIGN_OR_RETURN(answer.records, AnswerRecords(pkt.get()));
  return answer;
}

}  // namespace rfc2136

namespace {

// Sends `wire` to host:port over UDP or TCP and returns the raw answer; timeouts and network
// failures as DeadlineExceeded / Unavailable naming the server and transport.
Result<std::string> Transmit(const std::string& host, int port, const std::string& wire, bool tcp,
                             int64_t timeout_ms, const std::string& server) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::Unavailable("cannot resolve DNS server " + host + ": " + gai_strerror(rc));
  }
  sockaddr_storage address{};
  const socklen_t length = found->ai_addrlen;
  std::memcpy(&address, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof(address)));
  freeaddrinfo(found);

  BufferPtr query(ldns_buffer_new(wire.size()));
  if (!query) return Status::Internal("ldns could not allocate a buffer");
  ldns_buffer_write(query.get(), wire.data(), wire.size());
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(timeout_ms / 1000);
  timeout.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  uint8_t* answer = nullptr;
  size_t size = 0;
  const ldns_status status =
      tcp ? ldns_tcp_send(&answer, query.get(), &address, length, timeout, &size)
          : ldns_udp_send(&answer, query.get(), &address, length, timeout, &size);
  std::unique_ptr<uint8_t, MallocFree> owned(answer);
  const std::string transport = tcp ? "TCP" : "UDP";
  if (status == LDNS_STATUS_NETWORK_ERR) {
    return Status::DeadlineExceeded("no answer from " + server + " over " + transport + " within " +
                                    FormatDurationMs(timeout_ms));
  }
  if (status != LDNS_STATUS_OK || answer == nullptr) {
    return Status::Unavailable("cannot reach " + server + " over " + transport + ": " +
                               ErrorText(status));
  }
  return std::string(reinterpret_cast<const char*>(answer), size);
}

uint16_t RandomId() {
  const std::string bytes = crypto::RandomBytes(2);
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[0]) << 8) |
                               static_cast<uint8_t>(bytes[1]));
}

}  // namespace

Rfc2136Provider::Rfc2136Provider(Rfc2136Config config, const Clock* clock)
    : config_(std::move(config)),
      clock_(clock),
      server_text_(HostPort(config_.server, config_.port)) {}

std::string Rfc2136Provider::Describe() const { return "rfc2136 server " + server_text_; }

Result<std::vector<DnsRecord>> Rfc2136Provider::Exchange(const std::string& zone, bool is_update,
                                                         const rfc2136::Message& message) const {
  bool tcp = message.wire.size() > kMaxUdpRequestBytes;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(std::string wire, Transmit(config_.server, config_.port, message.wire,
                                                       tcp, config_.timeout_ms, server_text_));
    BEACON_ASSIGN_OR_RETURN(
        rfc2136::Answer answer,
        rfc2136::CheckResponse(wire, message, config_.key, clock_->NowMs() / 1000, server_text_,
                               zone, is_update));
    if (!answer.truncated) return std::move(answer.records);
    if (tcp)
      return Status::Corruption("the answer from " + server_text_ + " is truncated over TCP");
    tcp = true;
  }
}

Result<std::vector<DnsRecord>> Rfc2136Provider::Show(const std::string& zone,
                                                     const std::string& fqdn) {
  std::vector<DnsRecord> records;
  for (RecordType type : SupportedRecordTypes()) {
    BEACON_ASSIGN_OR_RETURN(rfc2136::Message query,
                            rfc2136::BuildQuery(fqdn, type, RandomId(), config_.key));
    BEACON_ASSIGN_OR_RETURN(std::vector<DnsRecord> answers, Exchange(zone, false, query));
    for (DnsRecord& record : answers) {
      // A query follows CNAMEs inside the zone: keep only the name's own records of the type.
      if (record.name == fqdn && record.type == type) records.push_back(std::move(record));
    }
  }
  return records;
}

Result<std::vector<std::string>> Rfc2136Provider::Replace(const std::string& zone,
                                                          const DnsRecord& record) {
  BEACON_ASSIGN_OR_RETURN(rfc2136::Message update,
                          rfc2136::BuildUpdate(zone, record, RandomId(), config_.key));
  BEACON_RETURN_IF_ERROR(Exchange(zone, true, update).status());
  return std::vector<std::string>{};
}

DnsProviderFactory ParseRfc2136Zone(const DnsZoneConfig& /*zone*/, config::Node node) {
  const size_t errors_before = node.error_count();
  Rfc2136Config config;
  if (node.Require("server")) node.Get("server", &config.server);
  if (config.server.find_first_of(" \t/") != std::string::npos) {
    node.Error("server", "expected a host name or an IP address, got '" + config.server + "'");
  }
  node.Get("port", &config.port, 1, 65535);
  std::string key_name;
  if (node.Require("tsig_key")) node.Get("tsig_key", &key_name);
  if (!key_name.empty()) {
    auto normalized = NormalizeZoneName(key_name);
    if (normalized.ok()) {
      config.key.name = *normalized + ".";
    } else {
      node.Error("tsig_key", "not a valid key name: " + normalized.status().message());
    }
  }
  node.GetEnum("tsig_algorithm", &config.key.algorithm,
               {"hmac-sha256", "hmac-sha512", "hmac-sha1"});
  const size_t errors_before_secret = node.error_count();
  node.GetSecret("tsig_secret", &config.key.secret);
  const bool secret_reported = node.error_count() != errors_before_secret;
  node.GetDurationMs("timeout", &config.timeout_ms, 100, 60 * 1000);
  if (config.key.secret.empty()) {
    if (!secret_reported) {
      node.Error("tsig_secret_file", "required: tsig_secret_file or tsig_secret_env");
    }
  } else if (auto decoded = crypto::Base64Decode(config.key.secret.value());
             !decoded.ok() || decoded->empty()) {
    node.Error("tsig_secret_file",
               "the TSIG secret from " + config.key.secret.source + " is not base64");
  }
  if (node.error_count() != errors_before) return {};
  return [config](const DnsProviderDeps& deps) -> std::unique_ptr<DnsProvider> {
    return std::make_unique<Rfc2136Provider>(config, deps.clock);
  };
}

}  // namespace beacon::bot::dns
