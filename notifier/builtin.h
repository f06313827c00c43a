// The built-in notifier list: one row per receiver type with its parser and the place its keys
// are documented. Adding a notifier is one folder plus one line in builtin.cpp (no static
// registration); tests/unit/notifier/notifiers_convention_test.cpp checks every row against its
// documentation and the documentation against the rows.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"
#include "notifier/notifier.h"

namespace beacon::notifier {

struct NotifierType {
  std::string type;  // the receiver section's `type`
  // Parses one `alerts.receivers.<name>` section (see ParseReceiver in notifier.h).
  NotifierFactory (*parse)(const std::string& name, config::Node node);
  std::string docs;  // the section documenting its keys: "docs/alerts.md#wecom_app"
};

const std::vector<NotifierType>& BuiltinNotifiers();

}  // namespace beacon::notifier
