#include "connection.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "poll_loop.h"

namespace libredis {

namespace {

constexpr int kMaxIov = 64;
// Bytes read from one socket per poll pass, so one busy server cannot starve
// the others; level-triggered epoll brings us back for the rest.
constexpr size_t kReadBudget = 4 * 1024 * 1024;

std::string errnoText(int err) { return std::string(strerror(err)); }

}  // namespace

ConnState::~ConnState() {
  if (fd_ >= 0) {
    ::close(fd_);
    liveCounts().openSockets--;
  }
  liveCounts().connections--;
}

void ConnState::enqueue(PollLoop& loop, Job* job) {
  loop_ = &loop;
  closeWhenIdle_ = false;
  queue_.push_back(job);
  switch (state_) {
    case State::kIdle:
      startConnect();
      break;
    case State::kReady:
      loop_->markDirty(this);
      break;
    default:
      break;  // sent once connected
  }
}

void ConnState::startConnect() {
  parser_.reset();
  addrs_.clear();
  addrIndex_ = 0;
  lastConnectError_.clear();
  if (addr_.isUnix) {
    SockAddr a;
    memset(&a, 0, sizeof a);
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, addr_.host.data(), std::min(addr_.host.size(), sizeof(un->sun_path) - 1));
    a.len = sizeof(sockaddr_un);
    addrs_.push_back(a);
    connectNext();
  } else if (resolveNumeric(addr_.host, addr_.port, &addrs_)) {
    connectNext();
  } else {
    state_ = State::kResolving;
    loop_->resolver().resolve(weak_from_this(), generation_, addr_.host, addr_.port);
  }
}

void ConnState::onResolved(const ResolveResult& result) {
  if (state_ != State::kResolving || result.generation != generation_) return;
  if (maybeCloseIdle()) return;
  if (!result.error.empty()) {
    state_ = State::kIdle;
    close(EK_CONNECTION, "connection to " + addr_.label + " failed: " + result.error);
    return;
  }
  addrs_ = result.addrs;
  addrIndex_ = 0;
  connectNext();
}

void ConnState::connectNext() {
  while (addrIndex_ < addrs_.size()) {
    const SockAddr& a = addrs_[addrIndex_++];
    int family = a.storage.ss_family;
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      lastConnectError_ = errnoText(errno);
      continue;
    }
    if (family != AF_UNIX) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.len);
    if (rc != 0 && errno != EINPROGRESS) {
      lastConnectError_ = errnoText(errno);
      ::close(fd);
      continue;
    }
    fd_ = fd;
    liveCounts().openSockets++;
    interest_ = 0;
    loop_->trackOpen(shared_from_this());
    if (rc == 0) {
      onConnected();
    } else {
      state_ = State::kConnecting;
      updateInterest();
    }
    return;
  }
  state_ = State::kIdle;
  close(EK_CONNECTION, "connection to " + addr_.label +
                           " failed: " + (lastConnectError_.empty() ? "no address to connect to" : lastConnectError_));
}

void ConnState::setHandshake(std::string commands, uint32_t replies) {
  if (replies == 0) return;
  handshake_ = std::make_unique<Job>();
  handshake_->out = std::move(commands);
  handshake_->expected = replies;
}

void ConnState::onConnected() {
  if (maybeCloseIdle()) return;
  if (handshake_) {
    // First on the new socket, ahead of whatever batches are waiting.
    handshake_->written = 0;
    handshake_->received = 0;
    handshake_->replies = PackedReplies();
    queue_.push_front(handshake_.get());
  }
  state_ = State::kReady;
  updateInterest();
  loop_->markDirty(this);
}

void ConnState::updateInterest() {
  if (fd_ < 0) return;
  uint32_t want;
  if (state_ == State::kConnecting) {
    want = EPOLLOUT;
  } else {
    want = EPOLLIN | (writtenJobs_ < queue_.size() ? EPOLLOUT : 0u);
  }
  if (want == interest_) return;
  epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = want;
  ev.data.ptr = this;
  epoll_ctl(loop_->epfd(), interest_ == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd_, &ev);
  interest_ = want;
}

void ConnState::onEvents(uint32_t events) {
  if (fd_ < 0) return;  // closed earlier in this pass
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0 && !(events & (EPOLLERR | EPOLLHUP))) {
      onConnected();
      return;
    }
    lastConnectError_ = errnoText(err != 0 ? err : ECONNREFUSED);
    closeSocket();
    connectNext();
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readAvailable();
  if (fd_ >= 0 && (events & EPOLLOUT)) flush();
  maybeCloseIdle();
}

bool ConnState::maybeCloseIdle() {
  if (!closeWhenIdle_ || !queue_.empty()) return false;
  closeSocket();
  return true;
}

void ConnState::flush() {
  if (state_ != State::kReady || fd_ < 0) return;
  while (writtenJobs_ < queue_.size()) {
    iovec iov[kMaxIov];
    int n = 0;
    for (size_t i = writtenJobs_; i < queue_.size() && n < kMaxIov; i++) {
      Job* j = queue_[i];
      size_t left = j->out.size() - j->written;
      if (left > 0) {
        iov[n].iov_base = const_cast<char*>(j->out.data() + j->written);
        iov[n].iov_len = left;
        n++;
      }
    }
    ssize_t w = 0;
    if (n > 0) {
      msghdr msg;
      memset(&msg, 0, sizeof msg);
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(n);
      w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        close(EK_CONNECTION, "connection to " + addr_.label + " failed while sending: " + errnoText(errno));
        return;
      }
    }
    // Hand the written bytes out to the jobs in order; empty jobs pass at once.
    size_t left = static_cast<size_t>(w);
    while (writtenJobs_ < queue_.size()) {
      Job* j = queue_[writtenJobs_];
      size_t take = std::min(left, j->out.size() - j->written);
      j->written += take;
      left -= take;
      if (!j->fullyWritten()) break;
      writtenJobs_++;
    }
  }
  updateInterest();
  completeReady();
}

void ConnState::readAvailable() {
  size_t budget = kReadBudget;
  while (budget > 0 && fd_ >= 0) {
    size_t cap = 0;
    char* buf = loop_->readBuffer(&cap);
    ssize_t r = ::recv(fd_, buf, cap, 0);
    if (r > 0) {
      if (!consume(buf, static_cast<size_t>(r))) return;
      budget -= std::min(budget, static_cast<size_t>(r));
      if (static_cast<size_t>(r) < cap) return;  // drained: spare a recv that would say EAGAIN
      continue;
    }
    if (r == 0) {
      if (queue_.empty() && !parser_.midReply()) {
        closeSocket();  // the server dropped an idle connection; reopen on next use
      } else {
        close(EK_CONNECTION, "connection to " + addr_.label + " was closed by the server" +
                                 (parser_.midReply() ? " in the middle of a reply" : ""));
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    close(EK_CONNECTION, "connection to " + addr_.label + " failed while receiving: " + errnoText(errno));
    return;
  }
}

bool ConnState::consume(const char* data, size_t len) {
  bool parsed = parser_.consume(data, len, *this);
  if (!parsed && handshakeError_.empty()) {
    close(EK_PROTOCOL, parser_.error() + " (from " + addr_.label + ")");
    return false;
  }
  if (!handshakeError_.empty()) {
    std::string why;
    why.swap(handshakeError_);
    close(EK_CONNECTION, why);
    return false;
  }
  return true;
}

PackedReplies* ConnState::nextReplySink() {
  // After a failed AUTH/SELECT no reply may reach a batch: parsing stops here.
  if (!handshakeError_.empty()) return nullptr;
  // Only a job whose bytes have (at least partly) gone out can be answered;
  // a reply for anything else means the server sent more replies than were
  // counted (a wrong count to write(), or a command like SUBSCRIBE).
  for (size_t i = 0; i < queue_.size(); i++) {
    Job* j = queue_[i];
    if (i > writtenJobs_ || (i == writtenJobs_ && j->written == 0)) return nullptr;
    if (j->received < j->expected) {
      replying_ = j;
      return &j->replies;
    }
  }
  return nullptr;
}

void ConnState::onReplyComplete() {
  replying_->received++;
  completeReady();
}

void ConnState::completeReady() {
  while (!queue_.empty() && writtenJobs_ > 0) {
    Job* j = queue_.front();
    if (j->received < j->expected) return;
    queue_.pop_front();
    writtenJobs_--;
    finish(j);
  }
}

void ConnState::finish(Job* job) {
  if (job == handshake_.get()) {
    finishHandshake();
    return;
  }
  loop_->jobDone(job);
}

// Called when the handshake's replies are all in, possibly in the middle of
// a parse: an error is only noted here, and the connection is failed once
// the parser has returned (see consume).
void ConnState::finishHandshake() {
  const PackedReplies& r = handshake_->replies;
  for (size_t i = 0; i < r.count(); i++) {
    const int32_t* rec = &r.records[i * kRecordFields];
    if (rec[0] == RT_ERROR && rec[1] == 1) {
      std::string text(r.payload.data() + static_cast<uint32_t>(rec[3]), static_cast<uint32_t>(rec[2]));
      handshakeError_ = "connection to " + addr_.label + " was refused by the server at setup (AUTH/SELECT): " + text;
      return;
    }
  }
}

std::string ConnState::describeTimeout(const Job* job) const {
  std::string ms = std::to_string(job->exec->timeoutMs);
  if (job->written == 0 && state_ != State::kReady) {
    return "timeout after " + ms + " ms connecting to " + addr_.label;
  }
  return "timeout after " + ms + " ms waiting for " + addr_.label + " (" + std::to_string(job->received) + " of " +
         std::to_string(job->expected) + " replies received)";
}

void ConnState::abandon(Job* job, const std::string& reason) {
  auto it = std::find(queue_.begin(), queue_.end(), job);
  std::string why = reason.empty() ? describeTimeout(job) : reason;
  if (it == queue_.end()) {
    job->fail(EK_TIMEOUT, why);
    finish(job);
    return;
  }
  size_t index = static_cast<size_t>(it - queue_.begin());
  bool replying = parser_.midReply() && replying_ == job;
  if (job->written == 0 && index >= writtenJobs_ && !replying) {
    // Nothing of it was sent, and so nothing after it either: drop it alone.
    queue_.erase(it);
    job->fail(EK_TIMEOUT, why);
    finish(job);
    maybeCloseIdle();
    return;
  }
  if (job->fullyWritten() && job->received == job->expected && !replying) {
    // Sent whole and owed nothing (a write() counted as no replies): done.
    queue_.erase(it);
    writtenJobs_--;
    finish(job);
    maybeCloseIdle();
    return;
  }
  queue_.erase(it);
  if (index < writtenJobs_) writtenJobs_--;
  const uint64_t flushSeq = job->exec->flushSeq;
  const uint32_t timeoutMs = job->exec->timeoutMs;
  job->fail(EK_TIMEOUT, why);
  finish(job);
  closeAfterTimeout(flushSeq, timeoutMs);
}

void ConnState::closeAfterTimeout(uint64_t flushSeq, uint32_t timeoutMs) {
  // The jobs behind the one that timed out waited on the same stall. Those
  // with the same deadline time out too, as their callers expect: issued in
  // the same JS tick with the same timeout, or due within the timer
  // resolution (1 ms). The others lose their connection. The messages are
  // worded before the socket closes, as they depend on its state.
  auto by = Clock::now() + std::chrono::milliseconds(1);
  std::vector<std::string> timeouts(queue_.size());
  for (size_t i = 0; i < queue_.size(); i++) {
    const Job* j = queue_[i];
    if (j == handshake_.get()) continue;  // it has no Execution
    const Execution& e = *j->exec;
    if (e.deadline <= by || (e.flushSeq == flushSeq && e.timeoutMs == timeoutMs)) timeouts[i] = describeTimeout(j);
  }
  closeFailing(
      EK_CONNECTION,
      "connection to " + addr_.label + " was reset because an earlier batch on it timed out with replies still owed",
      timeouts);
}

void ConnState::close(ErrorKind kind, const std::string& reason) { closeFailing(kind, reason, {}); }

void ConnState::closeFailing(ErrorKind kind, const std::string& reason, const std::vector<std::string>& timeouts) {
  // Detach first: finishing a job may let JS-bound work complete, never re-enter here.
  std::deque<Job*> pending;
  pending.swap(queue_);
  writtenJobs_ = 0;
  replying_ = nullptr;
  closeSocket();
  for (size_t i = 0; i < pending.size(); i++) {
    Job* j = pending[i];
    if (j == handshake_.get()) continue;  // owned here; set up again on the next connect
    if (i < timeouts.size() && !timeouts[i].empty()) {
      j->fail(EK_TIMEOUT, timeouts[i]);
    } else {
      j->fail(kind, reason);
    }
    finish(j);
  }
}

void ConnState::closeWhenIdle() {
  if (queue_.empty()) {
    closeSocket();
  } else {
    closeWhenIdle_ = true;
  }
}

void ConnState::detachForShutdown() {
  queue_.clear();
  writtenJobs_ = 0;
  replying_ = nullptr;
  if (fd_ >= 0) {
    ::close(fd_);
    liveCounts().openSockets--;
  }
  fd_ = -1;
  state_ = State::kIdle;
}

void ConnState::closeSocket() {
  generation_++;
  parser_.reset();
  if (state_ == State::kResolving) state_ = State::kIdle;
  if (fd_ >= 0) {
    epoll_ctl(loop_->epfd(), EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
    liveCounts().openSockets--;
    fd_ = -1;
    interest_ = 0;
    state_ = State::kIdle;
    loop_->untrackOpen(this);
  }
  state_ = State::kIdle;
}

}  // namespace libredis
