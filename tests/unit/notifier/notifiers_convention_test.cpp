// Walks the built-in notifier list and checks the plugin conventions: each type's docs anchor is
// a `###` section of the "## Receivers" chapter of its page, every such section is a type of the
// list, the section (or the chapter's introduction) names every key the type's parser knows, and
// the section's yaml sample builds a notifier of that type. Every type refuses a bad `timezone`
// with an error naming the key path.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config/config.h"
#include "notifier/builtin.h"
#include "tests/unit/docs_page.h"

namespace beacon::notifier {
namespace {

constexpr char kChapter[] = "## Receivers";

// The anchor GitHub gives a heading: lower case, spaces as '-', other punctuation but '-' and
// '_' dropped.
std::string Anchor(const std::string& heading) {
  std::string anchor;
  for (char c : heading) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      anchor += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      anchor += '-';
    }
  }
  return anchor;
}

// The chapter of a docs page where notifiers are documented.
struct Chapter {
  std::string intro;                            // before its first `###` section
  std::map<std::string, std::string> sections;  // by anchor
};

Chapter ReadChapter(const std::string& page) {
  Chapter chapter;
  std::istringstream in(testing::ReadSourceFile(page));
  bool inside = false;
  std::string* text = nullptr;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) {
      inside = line == kChapter;
      text = inside ? &chapter.intro : nullptr;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("### ", 0) == 0) {
      text = &chapter.sections[Anchor(line.substr(4))];
      continue;
    }
    *text += line + "\n";
  }
  return chapter;
}

// Sets every `<key>_env: NAME` variable of a sample, so its secrets resolve.
void SetSampleEnvironment(const std::string& yaml) {
  static const std::regex kEnv(R"(_env:\s*([A-Za-z_][A-Za-z0-9_]*))");
  for (std::sregex_iterator it(yaml.begin(), yaml.end(), kEnv), end; it != end; ++it) {
    ::setenv((*it)[1].str().c_str(), "sample-secret-0123456789", 1);
  }
}

struct Parsed {
  std::string name;
  NotifierFactory factory;
  std::string errors;  // the document's report ("" when valid)
};

// Parses the one receiver of `yaml` (an `alerts.receivers` block) with ParseReceiver.
Parsed ParseSample(const std::string& yaml, const std::string& display_name) {
  Parsed parsed;
  auto doc = config::Document::LoadString(yaml, display_name);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return parsed;
  auto receivers = (*doc)->root().Child("alerts").Entries("receivers");
  EXPECT_EQ(receivers.size(), 1u) << "one receiver per sample";
  if (receivers.size() != 1) return parsed;
  parsed.name = receivers[0].first;
  parsed.factory = ParseReceiver(parsed.name, receivers[0].second);
  const Status finished = (*doc)->Finish();
  parsed.errors = finished.ok() ? "" : finished.message();
  return parsed;
}

// The keys the type's parser knows, read from its unknown-key error.
std::set<std::string> KnownKeys(const std::string& sample, const std::string& name) {
  const Parsed parsed = ParseSample(sample + "      zz_not_a_key: 1\n", "sample.yaml");
  const std::string marker = name + ".zz_not_a_key: unknown key (known here: ";
  const size_t start = parsed.errors.find(marker);
  EXPECT_NE(start, std::string::npos) << parsed.errors;
  std::set<std::string> keys;
  if (start == std::string::npos) return keys;
  const size_t end = parsed.errors.find(')', start);
  std::istringstream list(parsed.errors.substr(start + marker.size(), end - start - marker.size()));
  for (std::string key; std::getline(list >> std::ws, key, ',');) keys.insert(key);
  return keys;
}

TEST(NotifierConventions, EveryNotifierHasADocumentedSectionWithAWorkingSample) {
  const std::vector<NotifierType>& notifiers = BuiltinNotifiers();
  ASSERT_FALSE(notifiers.empty());
  std::set<std::string> types;
  for (const NotifierType& n : notifiers) {
    SCOPED_TRACE(n.type);
    EXPECT_TRUE(types.insert(n.type).second) << "duplicate type";
    const size_t hash = n.docs.find('#');
    ASSERT_NE(hash, std::string::npos) << "docs must name a section: " << n.docs;
    const Chapter chapter = ReadChapter(n.docs.substr(0, hash));
    auto section = chapter.sections.find(n.docs.substr(hash + 1));
    ASSERT_NE(section, chapter.sections.end())
        << "no ### section '" << n.docs << "' under " << kChapter;

    const std::string sample = testing::FirstYamlBlock(section->second);
    ASSERT_FALSE(sample.empty()) << "no ```yaml sample in " << n.docs;
    SetSampleEnvironment(sample);
    const Parsed parsed = ParseSample(sample, n.docs);
    EXPECT_EQ(parsed.errors, "");
    ASSERT_TRUE(parsed.factory) << parsed.errors;
    NotifierDeps deps;
    deps.clock = &SystemClock::Instance();
    std::unique_ptr<Notifier> notifier = parsed.factory(deps);
    ASSERT_NE(notifier, nullptr);
    EXPECT_EQ(notifier->type(), n.type);

    const std::set<std::string> known = KnownKeys(sample, parsed.name);
    EXPECT_FALSE(known.empty());
    for (const std::string& key : known) {
      // `type` is the chapter's; an inline secret key exists only to be refused.
      if (key == "type" || known.count(key + "_file") != 0) continue;
      const std::string quoted = "`" + key + "`";
      EXPECT_TRUE(section->second.find(quoted) != std::string::npos ||
                  chapter.intro.find(quoted) != std::string::npos)
          << "key " << quoted << " is not documented in " << n.docs;
    }
  }
}

TEST(NotifierConventions, EveryDocumentedSectionIsABuiltinNotifier) {
  std::map<std::string, std::set<std::string>> anchors_by_page;
  for (const NotifierType& n : BuiltinNotifiers()) {
    const size_t hash = n.docs.find('#');
    anchors_by_page[n.docs.substr(0, hash)].insert(n.docs.substr(hash + 1));
  }
  for (const auto& [page, anchors] : anchors_by_page) {
    for (const auto& [anchor, text] : ReadChapter(page).sections) {
      EXPECT_EQ(anchors.count(anchor), 1u)
          << page << "#" << anchor << " documents a receiver type that notifier/builtin.cpp lacks";
    }
  }
}

TEST(NotifierConventions, EveryNotifierRefusesABadTimezoneNamingTheKey) {
  for (const NotifierType& n : BuiltinNotifiers()) {
    SCOPED_TRACE(n.type);
    const size_t hash = n.docs.find('#');
    const Chapter chapter = ReadChapter(n.docs.substr(0, hash));
    auto section = chapter.sections.find(n.docs.substr(hash + 1));
    ASSERT_NE(section, chapter.sections.end());
    const std::string sample = testing::FirstYamlBlock(section->second);
    SetSampleEnvironment(sample);
    const Parsed good = ParseSample(sample, "collector.yaml");
    ASSERT_TRUE(good.factory) << good.errors;

    const Parsed bad = ParseSample(sample + "      timezone: Mars/Olympus\n", "collector.yaml");
    EXPECT_FALSE(bad.factory);
    const std::string path = "alerts.receivers." + good.name + ".timezone: ";
    // A receiver that renders text checks the zone; one that does not has no such key.
    const std::string reason = KnownKeys(sample, good.name).count("timezone") != 0
                                   ? "unknown time zone 'Mars/Olympus'"
                                   : "unknown key";
    EXPECT_NE(bad.errors.find(path + reason), std::string::npos) << bad.errors;
  }
}

}  // namespace
}  // namespace beacon::notifier
