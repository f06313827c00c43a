// A small element tree for the XML that S3 and OSS exchange (ListBucketResult, Error,
// InitiateMultipartUploadResult, CompleteMultipartUpload, RestoreRequest). Parsing is on Poco
// XML (SAX) with external entities off; names are kept without namespace prefixes. Pure
// functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::objstore {

struct XmlElement {
  std::string name;  // local name ("Contents", not "s3:Contents")
  std::string text;  // concatenated character data directly inside this element
  std::vector<XmlElement> children;

  // The first child with this name, or nullptr.
  const XmlElement* Child(std::string_view child_name) const;
  // Text of the first child with this name, or "" when there is none.
  std::string ChildText(std::string_view child_name) const;
  // Every child with this name, in document order.
  std::vector<const XmlElement*> Children(std::string_view child_name) const;
};

// Object-store replies are at most four elements deep; anything nested deeper than this is
// refused, so a hostile reply cannot exhaust the stack (XmlElement's destructor recurses).
inline constexpr int kMaxXmlDepth = 64;

// The document element. InvalidArgument (with the parser's message) for malformed XML and for
// elements nested deeper than kMaxXmlDepth.
Result<XmlElement> ParseXml(std::string_view text);

}  // namespace beacon::objstore
