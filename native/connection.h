// One connection to one Redis server, as the poll thread sees it: a socket,
// a FIFO of jobs whose replies are owed in order, and the parser that fills
// them. Everything here runs on the poll thread, except construction.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "address.h"
#include "job.h"
#include "live_counts.h"
#include "resolver.h"
#include "resp_parser.h"

namespace libredis {

class PollLoop;

class ConnState : public ReplyTarget, public std::enable_shared_from_this<ConnState> {
 public:
  ConnState(Address addr, const ParserLimits& limits) : addr_(std::move(addr)), parser_(limits) {
    liveCounts().connections++;
  }

  // Commands sent first on every new socket (AUTH, SELECT), before any
  // batch. An error reply to any of them fails the connection. Set before
  // first use (JS thread, at construction).
  void setHandshake(std::string commands, uint32_t replies);
  ~ConnState() override;

  const Address& address() const { return addr_; }

  // Poll thread only from here on.
  void enqueue(PollLoop& loop, Job* job);
  void onEvents(uint32_t events);
  void onResolved(const ResolveResult& result);
  void flush();
  // The job's deadline passed. If replies are owed to it the connection is
  // closed, since they could only reach a later batch.
  void abandon(Job* job, const std::string& reason);
  // Fails every pending job with `reason` and closes the socket.
  void close(ErrorKind kind, const std::string& reason);
  // Closes once no job is pending (the JS handle is gone).
  void closeWhenIdle();
  // Closes now if the JS handle is gone and nothing is pending; true if it did.
  bool maybeCloseIdle();
  bool isOpen() const { return fd_ >= 0; }
  // The environment is ending: close the socket and forget the jobs, which
  // the loop frees itself.
  void detachForShutdown();

  PackedReplies* nextReplySink() override;
  void onReplyComplete() override;

 private:
  enum class State { kIdle, kResolving, kConnecting, kReady };

  void startConnect();
  void connectNext();
  void onConnected();
  void readAvailable();
  bool consume(const char* data, size_t len);
  void completeReady();
  void updateInterest();
  void closeSocket();
  void closeAfterTimeout(uint64_t flushSeq, uint32_t timeoutMs);
  // close(), failing job i with the timeout message timeouts[i] where one is
  // given (index as in queue_), and the others with kind/reason.
  void closeFailing(ErrorKind kind, const std::string& reason, const std::vector<std::string>& timeouts);
  void finish(Job* job);
  std::string describeTimeout(const Job* job) const;

  Address addr_;
  PollLoop* loop_ = nullptr;
  State state_ = State::kIdle;
  int fd_ = -1;
  uint32_t interest_ = 0;
  uint64_t generation_ = 0;  // bumps on every close; stale lookups are ignored
  std::vector<SockAddr> addrs_;
  size_t addrIndex_ = 0;
  std::string lastConnectError_;

  std::deque<Job*> queue_;   // replies arrive in this order
  size_t writtenJobs_ = 0;   // queue_[0, writtenJobs_) are fully written
  Job* replying_ = nullptr;  // job receiving the reply being parsed
  RespParser parser_;
  bool closeWhenIdle_ = false;
  std::unique_ptr<Job> handshake_;  // reused on every connect
  std::string handshakeError_;      // set during a parse, acted on after it
  void finishHandshake();
};

}  // namespace libredis
