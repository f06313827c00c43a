// ParseReceiver: picks the integration of one `alerts.receivers.<name>` section by its type.
#include <string>
#include <vector>

#include "notifier/console/console.h"
#include "notifier/file/file.h"
#include "notifier/notifier.h"
#include "notifier/splunk_hec/splunk_hec.h"
#include "notifier/wecom_app/wecom_app.h"
#include "notifier/wecom_robot/wecom_robot.h"

namespace beacon::notifier {

NotifierFactory ParseReceiver(const std::string& name, config::Node node) {
  if (!node.IsMap()) {
    node.Error("type", "receiver '" + name + "' must be a map with a type");
    return {};
  }
  if (!node.Require("type")) return {};
  std::string type;
  node.GetEnum("type", &type, {"wecom_app", "wecom_robot", "splunk_hec", "console", "file"});
  if (type == "wecom_app") return ParseWecomAppReceiver(name, node);
  if (type == "wecom_robot") return ParseWecomRobotReceiver(name, node);
  if (type == "splunk_hec") return ParseSplunkHecReceiver(name, node);
  if (type == "console") return ParseConsoleReceiver(name, node);
  if (type == "file") return ParseFileReceiver(name, node);
  return {};  // GetEnum recorded the error
}

}  // namespace beacon::notifier
