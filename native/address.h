// Where a connection goes. The JS side parses and validates the address text;
// this is the result.
#pragma once

#include <cstdint>
#include <string>

namespace libredis {

struct Address {
  bool isUnix = false;
  std::string host;  // hostname or literal IP (no brackets); socket path when isUnix
  uint16_t port = 6379;
  std::string label;  // as the user wrote it, for error messages
};

}  // namespace libredis
