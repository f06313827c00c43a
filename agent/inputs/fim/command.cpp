// The `fim` subcommands: argument parsing, loading the fim section of agent.yaml, and the
// human and JSON reports of the engine's results.
#include "agent/inputs/fim/command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <ostream>

#include "agent/config.h"
#include "agent/inputs/fim/engine.h"
#include "agent/inputs/fim/fim.h"
#include "common/glob.h"

namespace beacon::agent::fim {

namespace {

constexpr const char* kDefaultConfig = "/etc/beacon/agent.yaml";

constexpr const char* kFimHelp = R"(usage: beacon-agent fim <init|check|accept> [-c FILE] ...

One-shot file integrity commands on the paths of inputs.fim in the configuration (the input
does not need to be enabled). The baseline is inputs.fim.baseline, default
<agent.data_dir>/inputs/fim/baseline.db (the same file the running agent uses).

  init      build the baseline from the current state
  check     compare the current state with the baseline (--full re-hashes every file)
  accept    accept the current state of some paths into the baseline

Run `beacon-agent fim <command> --help` for details.
)";

constexpr const char* kInitHelp = R"(usage: beacon-agent fim init [-c FILE] [--json]

Walks the configured paths (never following symlinks), hashes every regular file (SHA-256, in
parallel on inputs.fim.workers threads) and writes a new baseline, replacing any old one.
Exit 0 done, 2 bad configuration or baseline not writable, 3 written but some paths could not
be read (listed on standard error).

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
  --json              print the summary as JSON (same shape as check --json)
)";

constexpr const char* kCheckHelp = R"(usage: beacon-agent fim check [-c FILE] [--full] [--json]

Compares the configured paths with the baseline and lists every added, removed and changed
entry with the attributes that changed (old -> new). The baseline is not modified; use
`fim accept` for intended changes. Every entry is lstat'ed and its type, mode, uid, gid, size,
mtime, ctime, inode and link target compared; a regular file whose type, size, mtime, ctime
and inode all equal the baseline's keeps its recorded SHA-256 without being read (a content
change always moves the ctime, which user space cannot set back), unless --full is given or
inputs.fim.paranoid is true.
Exit 0 no change, 1 changes, 2 bad configuration or no baseline, 3 some paths could not be
read (changes, if any, are still listed).

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
  --full              re-read and re-hash every regular file (catches content changes made
                      behind the kernel's back: offline edits of the disk, restored ctimes)
  --json              one JSON object: {"baseline","files","duration_s","summary":{"added",
                      "removed","changed","errors"},"changes":[...],"errors":[...]}
)";

constexpr const char* kAcceptHelp = R"(usage: beacon-agent fim accept [-c FILE] [--json] PATH...

Accepts the current state of each PATH, and of everything below it, into the baseline: entries
that exist are recorded as they are now, entries that are gone are dropped. Each PATH must lie
under one of inputs.fim.paths; relative paths are taken from the current directory.
Exit 0 done, 2 bad usage, configuration or baseline, 3 some paths could not be read.

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
  --json              print the accepted changes as JSON (same shape as check --json)
)";

struct FimArgs {
  std::string command;
  std::string config = kDefaultConfig;
  bool json = false;
  bool full = false;  // check: re-hash every file (inputs.fim.paranoid for this run)
  bool help = false;
  std::vector<std::string> paths;
};

struct Loaded {
  FimOptions options;
  std::string baseline_path;
};

bool LoadOptions(const std::string& config_path, std::ostream& err, Loaded* loaded) {
  auto cfg = LoadAgentConfig(config_path);
  if (!cfg.ok()) {
    err << cfg.status().message() << "\n";
    return false;
  }
  for (const InputSettings& in : cfg->inputs) {
    if (in.name != "fim") continue;
    auto* fim_input = dynamic_cast<inputs::FimInput*>(in.input.get());
    if (fim_input == nullptr) break;
    loaded->options = fim_input->options();
    loaded->baseline_path =
        loaded->options.baseline_path.empty()
            ? (std::filesystem::path(cfg->data_dir) / "inputs" / "fim" / "baseline.db").string()
            : loaded->options.baseline_path;
    // The agent's own state (spool, baseline) changes all the time; never report it.
    const std::string data_dir =
        std::filesystem::absolute(cfg->data_dir).lexically_normal().string();
    loaded->options.exclude.push_back(EscapeGlob(data_dir));
    loaded->options.exclude.push_back(EscapeGlob(data_dir) + "/**");
    loaded->options.exclude.push_back(EscapeGlob(loaded->baseline_path) + "*");
    if (loaded->options.paths.empty()) {
      err << config_path << ": inputs.fim.paths is empty: nothing to check\n";
      return false;
    }
    return true;
  }
  err << "fim: this beacon-agent has no fim input\n";
  return false;
}

void PrintErrors(const std::vector<ScanError>& errors, std::ostream& err) {
  for (const ScanError& e : errors)
    err << "error: " << EscapePath(e.path) << ": " << e.message << "\n";
}

nlohmann::json JsonReport(const std::string& baseline, const CheckReport& report) {
  nlohmann::json changes = nlohmann::json::array();
  int64_t counts[3] = {0, 0, 0};
  for (const Change& change : report.changes) {
    ++counts[static_cast<int>(change.kind)];
    changes.push_back(ChangeJson(change));
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const ScanError& e : report.errors) {
    errors.push_back({{"path", EscapePath(e.path)}, {"message", e.message}});
  }
  return {{"baseline", EscapePath(baseline)},
          {"files", report.files},
          {"duration_s", report.duration_s},
          {"summary",
           {{"added", counts[static_cast<int>(ChangeKind::kAdded)]},
            {"removed", counts[static_cast<int>(ChangeKind::kRemoved)]},
            {"changed", counts[static_cast<int>(ChangeKind::kChanged)]},
            {"errors", static_cast<int64_t>(report.errors.size())}}},
          {"changes", std::move(changes)},
          {"errors", std::move(errors)}};
}

void PrintText(const CheckReport& report, std::ostream& out) {
  for (const Change& change : report.changes) {
    const std::string path = EscapePath(change.path);
    if (change.kind == ChangeKind::kChanged) {
      out << "changed: " << path << "\n";
      for (const auto& [key, values] : change.attributes) {
        out << "  " << key << ": " << values.first << " -> " << values.second << "\n";
      }
    } else {
      auto attrs = Attributes(change.entry);
      out << (change.kind == ChangeKind::kAdded ? "added:   " : "removed: ") << path << " ("
          << attrs["type"] << ", mode " << attrs["mode"] << ", uid " << attrs["uid"] << ", gid "
          << attrs["gid"] << ", " << attrs["size"] << " bytes";
      if (attrs.count("sha256") && !attrs["sha256"].empty()) out << ", sha256 " << attrs["sha256"];
      if (attrs.count("link_target")) out << ", -> " << attrs["link_target"];
      out << ")\n";
    }
  }
}

std::string Summary(const CheckReport& report) {
  int64_t counts[3] = {0, 0, 0};
  for (const Change& change : report.changes) ++counts[static_cast<int>(change.kind)];
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.2fs", report.duration_s);
  return std::to_string(report.files) + " entries, " + std::to_string(report.changes.size()) +
         " changes (" + std::to_string(counts[static_cast<int>(ChangeKind::kAdded)]) + " added, " +
         std::to_string(counts[static_cast<int>(ChangeKind::kRemoved)]) + " removed, " +
         std::to_string(counts[static_cast<int>(ChangeKind::kChanged)]) + " changed), " +
         std::to_string(report.errors.size()) + " errors, " + duration;
}

int Run(const FimArgs& args, std::ostream& out, std::ostream& err) {
  Loaded loaded;
  if (!LoadOptions(args.config, err, &loaded)) return 2;
  if (args.full) loaded.options.paranoid = true;
  Scanner scanner(loaded.options);
  const bool create = args.command == "init";
  auto baseline = Baseline::Open(loaded.baseline_path, create);
  if (!baseline.ok()) {
    err << "fim " << args.command << ": " << baseline.status().message() << "\n";
    return 2;
  }
  Result<CheckReport> report = Status::Ok();
  if (args.command == "init") {
    report = Init(scanner, **baseline);
  } else if (args.command == "check") {
    report = Check(scanner, **baseline, false);
  } else {
    std::vector<std::string> paths;
    for (const std::string& p : args.paths) {
      paths.push_back(p.empty() || p[0] == '/'
                          ? p
                          : (std::filesystem::current_path() / p).lexically_normal().string());
    }
    report = Accept(scanner, **baseline, paths);
  }
  if (!report.ok()) {
    err << "fim " << args.command << ": " << report.status().message() << "\n";
    return 2;
  }
  if (args.json) {
    out << JsonReport(loaded.baseline_path, *report).dump() << "\n";
  } else if (args.command == "init") {
    out << "baseline written to " << EscapePath(loaded.baseline_path) << ": " << report->files
        << " entries, " << report->errors.size() << " errors\n";
  } else if (args.command == "check") {
    PrintText(*report, out);
    out << "fim check: " << Summary(*report) << "\n";
  } else {
    PrintText(*report, out);
    out << "fim accept: " << report->changes.size() << " changes accepted into "
        << EscapePath(loaded.baseline_path) << "\n";
  }
  PrintErrors(report->errors, err);
  if (!report->errors.empty()) return 3;
  return args.command == "check" && !report->changes.empty() ? 1 : 0;
}

}  // namespace

int RunFimCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  FimArgs args;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!options_done && (a == "-h" || a == "--help")) {
      args.help = true;
    } else if (!options_done && (a == "-c" || a == "--config")) {
      if (i + 1 >= argv.size()) {
        err << "fim: " << a << " needs a file\n";
        return 2;
      }
      args.config = argv[++i];
    } else if (!options_done && a == "--json") {
      args.json = true;
    } else if (!options_done && a == "--full" && args.command == "check") {
      args.full = true;
    } else if (!options_done && a == "--") {
      options_done = true;
    } else if (args.command.empty() && !a.empty() && a[0] != '-') {
      args.command = a;
    } else if (args.command == "accept" && (options_done || a.empty() || a[0] != '-')) {
      args.paths.push_back(a);
    } else {
      err << "fim: unexpected argument '" << EscapePath(a) << "'\n" << kFimHelp;
      return 2;
    }
  }
  if (args.command.empty()) {
    (args.help ? out : err) << kFimHelp;
    return args.help ? 0 : 2;
  }
  const char* help = args.command == "init"     ? kInitHelp
                     : args.command == "check"  ? kCheckHelp
                     : args.command == "accept" ? kAcceptHelp
                                                : nullptr;
  if (help == nullptr) {
    err << "fim: unknown command '" << EscapePath(args.command) << "'\n" << kFimHelp;
    return 2;
  }
  if (args.help) {
    out << help;
    return 0;
  }
  if (args.command == "accept" && args.paths.empty()) {
    err << "fim accept: at least one PATH is required\n" << kAcceptHelp;
    return 2;
  }
  return Run(args, out, err);
}

}  // namespace beacon::agent::fim
