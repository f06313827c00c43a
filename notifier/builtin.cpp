// The notifiers compiled into the collector, and ParseReceiver choosing among them by type.
#include "notifier/builtin.h"

#include <string>
#include <vector>

#include "notifier/console/console.h"
#include "notifier/file/file.h"
#include "notifier/splunk_hec/splunk_hec.h"
#include "notifier/wecom_app/wecom_app.h"
#include "notifier/wecom_robot/wecom_robot.h"

namespace beacon::notifier {

const std::vector<NotifierType>& BuiltinNotifiers() {
  static const std::vector<NotifierType> kNotifiers = {
      {"wecom_app", ParseWecomAppReceiver, "docs/alerts.md#wecom_app"},
      {"wecom_robot", ParseWecomRobotReceiver, "docs/alerts.md#wecom_robot"},
      {"splunk_hec", ParseSplunkHecReceiver, "docs/alerts.md#splunk_hec"},
      {"console", ParseConsoleReceiver, "docs/alerts.md#console"},
      {"file", ParseFileReceiver, "docs/alerts.md#file"},
  };
  return kNotifiers;
}

NotifierFactory ParseReceiver(const std::string& name, config::Node node) {
  if (!node.IsMap()) {
    node.Error("type", "receiver '" + name + "' must be a map with a type");
    return {};
  }
  if (!node.Require("type")) return {};
  std::vector<std::string> types;
  for (const NotifierType& notifier : BuiltinNotifiers()) types.push_back(notifier.type);
  std::string type;
  node.GetEnum("type", &type, types);
  for (const NotifierType& notifier : BuiltinNotifiers()) {
    if (notifier.type == type) return notifier.parse(name, node);
  }
  return {};  // GetEnum recorded the error
}

}  // namespace beacon::notifier
