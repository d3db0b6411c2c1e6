// Host name resolution off both the JS thread and the poll thread: getaddrinfo
// blocks, sometimes for seconds, so it runs on a thread of its own.
#pragma once

#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace libredis {

class ConnState;

struct SockAddr {
  sockaddr_storage storage;
  socklen_t len;
};

struct ResolveResult {
  std::weak_ptr<ConnState> conn;
  uint64_t generation = 0;
  std::vector<SockAddr> addrs;
  std::string error;  // empty on success
};

// Fills `out` without any lookup when `host` is a literal IPv4/IPv6 address.
bool resolveNumeric(const std::string& host, uint16_t port, std::vector<SockAddr>* out);

class Resolver {
 public:
  using Deliver = std::function<void(ResolveResult&&)>;
  explicit Resolver(Deliver deliver);
  // Detaches the worker: a lookup in progress cannot be interrupted, so it is
  // left to finish and its result is dropped.
  ~Resolver();

  void resolve(std::weak_ptr<ConnState> conn, uint64_t generation, const std::string& host, uint16_t port);

 private:
  struct Request {
    std::weak_ptr<ConnState> conn;
    uint64_t generation;
    std::string host;
    uint16_t port;
  };
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Request> queue;
    bool stopped = false;
    Deliver deliver;
  };
  static void work(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  bool started_ = false;
};

}  // namespace libredis
