// The `jmx` input: MBean attributes from Tomcat and other JVMs through Jolokia, Tomcat's
// JMXProxyServlet or the Zabbix Java gateway; the default Tomcat set plus configured MBeans
// (patterns allowed). One target failing is one error; the other targets are still read.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/inputs/input.h"
#include "agent/inputs/jmx/model.h"
#include "agent/inputs/jmx/transports.h"
#include "common/http/client.h"

namespace beacon::agent::inputs {

class JmxInput final : public Input {
 public:
  // http: used for every HTTP target when given (tests); otherwise each HTTP target gets a
  // libcurl client with its own tls_verify / ca_file.
  explicit JmxInput(std::shared_ptr<http::HttpClient> http = nullptr);

  std::string name() const override { return "jmx"; }
  // The default Tomcat set and jmx.target.up; configured MBeans add metrics named
  // jmx.<name>.<attribute path>.
  std::vector<MetricSpec> metrics() const override;
  Status Init(config::Node node) override;
  // Reads every target in turn; each failing target adds "target <name>: <why>" to the
  // returned error (and jmx.target.up 0), after the other targets were emitted.
  Status Gather(Emitter& emitter) override;

 private:
  struct Target {
    std::string name;
    std::shared_ptr<http::HttpClient> http;  // HTTP transports only
    std::unique_ptr<jmx::Transport> transport;
  };
  std::shared_ptr<http::HttpClient> injected_http_;
  std::vector<jmx::MetricRule> rules_;
  std::vector<jmx::MBeanQuery> queries_;
  std::vector<Target> targets_;
};

}  // namespace beacon::agent::inputs
