// ldns (Debian libldns-dev) for C++. Its common.h defines bool, true and false as macros unless
// stdbool.h came first, which breaks any C++ header read after it (std::optional's operator<=>
// among them); every file that uses ldns includes it through here. Threading: an ldns object
// belongs to one thread at a time.
#pragma once

// clang-format off
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): must precede ldns, see above
#include <ldns/ldns.h>
// clang-format on
