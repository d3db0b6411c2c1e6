#include "resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <thread>

namespace libredis {

bool resolveNumeric(const std::string& host, uint16_t port, std::vector<SockAddr>* out) {
  SockAddr a;
  memset(&a, 0, sizeof a);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
    out->push_back(a);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len = sizeof(sockaddr_in6);
    out->push_back(a);
    return true;
  }
  return false;
}

Resolver::Resolver(Deliver deliver) : shared_(std::make_shared<Shared>()) { shared_->deliver = std::move(deliver); }

Resolver::~Resolver() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->stopped = true;
  shared_->deliver = nullptr;
  shared_->queue.clear();
  shared_->cv.notify_all();
}

void Resolver::resolve(std::weak_ptr<ConnState> conn, uint64_t generation, const std::string& host, uint16_t port) {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->queue.push_back(Request{std::move(conn), generation, host, port});
  }
  shared_->cv.notify_one();
  if (!started_) {
    started_ = true;
    std::thread(work, shared_).detach();
  }
}

void Resolver::work(std::shared_ptr<Shared> shared) {
  std::unique_lock<std::mutex> lock(shared->mu);
  for (;;) {
    shared->cv.wait(lock, [&] { return shared->stopped || !shared->queue.empty(); });
    if (shared->stopped) return;
    Request req = std::move(shared->queue.front());
    shared->queue.pop_front();
    lock.unlock();

    ResolveResult result;
    result.conn = req.conn;
    result.generation = req.generation;
    addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    std::string service = std::to_string(req.port);
    int rc = getaddrinfo(req.host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) {
      result.error = "could not resolve host '" + req.host + "': " + gai_strerror(rc);
    } else {
      for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        SockAddr a;
        memset(&a, 0, sizeof a);
        memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.len = ai->ai_addrlen;
        result.addrs.push_back(a);
      }
      freeaddrinfo(list);
      if (result.addrs.empty()) result.error = "host '" + req.host + "' has no usable address";
    }

    lock.lock();
    if (shared->stopped) return;
    // Delivered under the lock so the owner cannot go away mid-delivery.
    shared->deliver(std::move(result));
  }
}

}  // namespace libredis
