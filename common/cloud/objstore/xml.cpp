// ParseXml on Poco's SAX parser, building XmlElement directly so no Poco type leaks out.
#include "common/cloud/objstore/xml.h"

#include <Poco/Exception.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/SAX/XMLReader.h>

#include <cctype>
#include <vector>

namespace beacon::objstore {
namespace {

std::string LocalName(const std::string& name) {
  size_t colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

bool IsWhitespace(const std::string& text) {
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Builds the XmlElement tree straight from SAX events, without a DOM: Poco's DOM frees its nodes
// recursively, so a deeply nested reply would overflow the stack even if we refused it after
// parsing. Elements below kMaxXmlDepth are not built, only counted; the parse then fails.
class TreeBuilder final : public Poco::XML::DefaultHandler {
 public:
  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local_name,
                    const Poco::XML::XMLString& qname, const Poco::XML::Attributes&) override {
    FlushText();
    ++depth_;
    if (depth_ > kMaxXmlDepth) {
      too_deep_ = true;
      return;
    }
    XmlElement* element = nullptr;
    if (open_.empty()) {
      element = &root_;
    } else {
      open_.back()->children.emplace_back();
      element = &open_.back()->children.back();
    }
    element->name = local_name.empty() ? LocalName(qname) : LocalName(local_name);
    open_.push_back(element);
  }

  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                  const Poco::XML::XMLString&) override {
    if (depth_ <= kMaxXmlDepth) {
      FlushText();
      open_.pop_back();
    }
    --depth_;
  }

  void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
    if (depth_ <= kMaxXmlDepth && !open_.empty()) pending_.append(ch + start, length);
  }

  bool too_deep() const { return too_deep_; }
  XmlElement& root() { return root_; }

 private:
  // One run of character data between two tags; runs of whitespace only (indentation between
  // elements) are dropped.
  void FlushText() {
    if (!open_.empty() && !IsWhitespace(pending_)) open_.back()->text += pending_;
    pending_.clear();
  }

  XmlElement root_;
  std::vector<XmlElement*> open_;  // the path from the root to the current element
  std::string pending_;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* child = Child(child_name);
  return child == nullptr ? std::string() : child->text;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child_name) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& child : children) {
    if (child.name == child_name) out.push_back(&child);
  }
  return out;
}

Result<XmlElement> ParseXml(std::string_view text) {
  try {
    TreeBuilder builder;
    Poco::XML::SAXParser parser;
    // Object-store replies never need entities from outside the document.
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setContentHandler(&builder);
    parser.parseMemoryNP(text.data(), text.size());
    if (builder.too_deep()) {
      return Status::InvalidArgument("XML elements nested deeper than " +
                                     std::to_string(kMaxXmlDepth) + " levels");
    }
    if (builder.root().name.empty()) {
      return Status::InvalidArgument("XML document has no root element");
    }
    return std::move(builder.root());
  } catch (const Poco::Exception& e) {
    return Status::InvalidArgument("malformed XML: " + e.displayText());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed XML: ") + e.what());
  }
}

}  // namespace beacon::objstore
