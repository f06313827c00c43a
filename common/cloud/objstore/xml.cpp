// ParseXml on Poco's DOM parser, converted at once to XmlElement so no Poco type leaks out.
#include "common/cloud/objstore/xml.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Exception.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/XMLReader.h>

namespace beacon::objstore {
namespace {

std::string LocalName(const std::string& name) {
  size_t colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

XmlElement Convert(Poco::XML::Node* node) {
  XmlElement element;
  element.name = LocalName(node->nodeName());
  for (Poco::XML::Node* child = node->firstChild(); child != nullptr;
       child = child->nextSibling()) {
    switch (child->nodeType()) {
      case Poco::XML::Node::ELEMENT_NODE:
        element.children.push_back(Convert(child));
        break;
      case Poco::XML::Node::TEXT_NODE:
      case Poco::XML::Node::CDATA_SECTION_NODE:
        element.text += child->nodeValue();
        break;
      default:
        break;
    }
  }
  return element;
}

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
    Poco::XML::DOMParser parser;
    // Object-store replies never need entities from outside the document.
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, true);
    Poco::AutoPtr<Poco::XML::Document> document =
        parser.parseMemory(text.data(), text.size());
    Poco::XML::Element* root = document->documentElement();
    if (root == nullptr) return Status::InvalidArgument("XML document has no root element");
    return Convert(root);
  } catch (const Poco::Exception& e) {
    return Status::InvalidArgument("malformed XML: " + e.displayText());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed XML: ") + e.what());
  }
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace beacon::objstore
