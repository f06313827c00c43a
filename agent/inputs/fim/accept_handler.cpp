// FimAcceptHandler: "fim.accept" command -> FimInput::AcceptPath, and the accepted changes as
// the result.
#include "agent/inputs/fim/accept_handler.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

namespace beacon::agent::fim {
namespace {

constexpr size_t kErrorsInMessage = 3;
constexpr size_t kListedErrors = 20;

// What the baseline did with a change it accepted.
const char* BaselineAction(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      break;
  }
  return "updated";
}

}  // namespace

FimAcceptHandler::FimAcceptHandler(AcceptPathFn accept) : accept_(std::move(accept)) {}

Status FimAcceptHandler::Handle(const wire::Command& command, const CommandReportFn& report) {
  auto args = wire::FimAcceptArgsFromJson(command.args);
  if (!args.ok()) {
    return Status::InvalidArgument("bad fim.accept arguments: " + args.status().message());
  }
  const std::string shown = EscapePath(args->path);
  spdlog::info("fim.accept: accepting {} into the baseline", shown);
  BEACON_ASSIGN_OR_RETURN(CheckReport accepted, accept_(args->path));

  uint64_t counts[3] = {0, 0, 0};
  std::vector<nlohmann::json> changes;
  changes.reserve(accepted.changes.size());
  for (const Change& change : accepted.changes) {
    ++counts[static_cast<int>(change.kind)];
    changes.push_back({{"kind", BaselineAction(change.kind)}, {"path", EscapePath(change.path)}});
  }
  const uint64_t added = counts[static_cast<int>(ChangeKind::kAdded)];
  const uint64_t removed = counts[static_cast<int>(ChangeKind::kRemoved)];
  const uint64_t updated = counts[static_cast<int>(ChangeKind::kChanged)];

  std::string message = accepted.changes.empty()
                            ? shown + " already matches the fim baseline: nothing to accept"
                            : "accepted " + shown +
                                  " into the fim baseline: " + std::to_string(updated) +
                                  " updated, " + std::to_string(added) + " added, " +
                                  std::to_string(removed) + " removed";
  std::vector<nlohmann::json> errors;
  for (size_t i = 0; i < accepted.errors.size(); ++i) {
    const ScanError& error = accepted.errors[i];
    if (i < kErrorsInMessage) {
      message +=
          (i == 0 ? "; " + std::to_string(accepted.errors.size()) + " entries could not be read: "
                  : "; ") +
          EscapePath(error.path) + ": " + error.message;
    }
    if (i < kListedErrors) {
      errors.push_back({{"path", EscapePath(error.path)}, {"message", error.message}});
    }
  }
  size_t changes_omitted = 0;
  wire::CommandUpdate done;
  done.state = "succeeded";
  done.message = CommandMessage(message);
  done.result = {
      {"path", shown},
      {"updated", updated},
      {"added", added},
      {"removed", removed},
      {"changes", BoundedJsonArray(changes, kMaxCommandResultListBytes / 4 * 3, &changes_omitted)},
      {"changes_omitted", changes_omitted},
      {"errors", BoundedJsonArray(errors, kMaxCommandResultListBytes / 4, nullptr)}};
  spdlog::info("fim.accept: {}", done.message);
  return report(done);
}

CommandHandler FimAcceptHandler::AsCommandHandler() {
  return [this](const wire::Command& command, CommandReportFn report) {
    return Handle(command, report);
  };
}

}  // namespace beacon::agent::fim
