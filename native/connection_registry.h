// Connections by number, for the per-command hot path. JS passes a
// connection's id instead of its wrapper object: checking a wrapper's type
// tag and unwrapping it are two private-property lookups (about 300 ns a
// command here), a map lookup is a few ns, and an unknown number can only
// be refused, never misread as another kind of object. JS thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "connection.h"

namespace libredis {

class ConnectionRegistry {
 public:
  // Ids are never reused, in any environment of the process (an id carried
  // to a worker names nothing there), and stay below 2^53 so JS numbers
  // hold them exactly.
  double add(std::shared_ptr<ConnState> conn) {
    static std::atomic<uint64_t> next{1};
    uint64_t id = next.fetch_add(1, std::memory_order_relaxed);
    byId_.emplace(id, std::move(conn));
    return static_cast<double>(id);
  }
  void remove(double id) { byId_.erase(static_cast<uint64_t>(id)); }
  // Null for a number that names no live connection.
  const std::shared_ptr<ConnState>* find(double id) const {
    if (!(id >= 1 && id < 9007199254740992.0) || id != static_cast<double>(static_cast<uint64_t>(id))) return nullptr;
    auto it = byId_.find(static_cast<uint64_t>(id));
    return it == byId_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<uint64_t, std::shared_ptr<ConnState>> byId_;
};

}  // namespace libredis
