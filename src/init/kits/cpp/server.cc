// Starter server for dslab lab "{{LAB}}" ({{TITLE}}), written by `dslab init`.
//
// What already works: it listens as the node contract says, reads record-marked ONC RPC CALLs
// (RFC 5531) on DSLAB_PORT, checks their header, answers {{NULL_NAME}} and answers every other
// procedure of {{PROGRAM_NAME}} with PROC_UNAVAIL. It decodes each procedure's arguments with the
// XDR routines rpcgen makes from {{XFILE}} (see the Makefile). Each connection has its own
// thread, so a stalled client never delays the others.
//
// What is yours: every case marked TODO below (the lab's README says what each must do), and
// everything the lab asks beyond one procedure at a time (see the lab's README: replay cache,
// durability, consensus...). Nothing here is a solution.
//
// Environment (the node contract): DSLAB_NODE_ID (n1..nN), DSLAB_PORT (clients),
// DSLAB_PEER_PORT and DSLAB_PEERS (labs with several nodes), DSLAB_DATA_DIR (all that must
// survive a crash goes there). Logs go to stderr; dslab records them in the trace.
//
// Build and run it as dslab does:  dslab test {{LAB}} .

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "{{XBASE}}.h"

namespace {

constexpr uint32_t kRpcVersion = 2;
constexpr uint32_t kMaxRecordBytes = 1 << 20;  // the contract: records up to 1 MiB must be accepted
constexpr uint32_t kMaxAuthBytes = 400;

// RFC 5531 constants this server uses.
enum : uint32_t { kCall = 0, kReply = 1 };
enum : uint32_t { kMsgAccepted = 0, kMsgDenied = 1 };
enum : uint32_t {
  kSuccess = 0,
  kProgUnavail = 1,
  kProgMismatch = 2,
  kProcUnavail = 3,
  kGarbageArgs = 4,
  kSystemErr = 5
};

void logf(const char* format, ...) __attribute__((format(printf, 1, 2)));
void logf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

// The accept_stat of a call and, for SUCCESS, its XDR-encoded results.
struct Answer {
  uint32_t stat;
  std::vector<char> results;
};

Answer unavailable() { return {kProcUnavail, {}}; }
Answer garbage() { return {kGarbageArgs, {}}; }

// SUCCESS with `value` encoded by its rpcgen routine, e.g. success(xdr_int, &n).
template <typename T>
Answer success(bool_t (*encode)(XDR*, T*), T* value) {
  std::vector<char> buffer(kMaxRecordBytes);
  XDR out;
  xdrmem_create(&out, buffer.data(), buffer.size(), XDR_ENCODE);
  if (!encode(&out, value)) return {kSystemErr, {}};
  buffer.resize(xdr_getpos(&out));
  return {kSuccess, buffer};
}

// The procedures: `in` is positioned at the call's arguments; `cred` is its credential.
// Decode the arguments with the rpcgen routine, do the work, and return success(...);
// until a case is written it answers PROC_UNAVAIL.
Answer answer_call(uint32_t proc, const opaque_auth& cred, XDR* in) {
  (void)cred;
  switch (proc) {
    case {{NULL_NAME}}:  // {{NULL_SIGNATURE}}
      return {kSuccess, {}};
{{CASES}}
    default:
      return unavailable();
  }
}

// ---- ONC RPC over TCP: record marking (RFC 5531 section 11) and the message header ----

bool read_exactly(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t got = read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

// One whole record (its fragments joined); false when the connection ended or is too big.
bool read_record(int fd, std::vector<char>& record) {
  record.clear();
  for (;;) {
    uint32_t header;
    if (!read_exactly(fd, reinterpret_cast<char*>(&header), 4)) return false;
    header = ntohl(header);
    uint32_t size = header & 0x7fffffffu;
    if (record.size() + size > kMaxRecordBytes) {
      logf("closing a connection: a record over %u bytes", kMaxRecordBytes);
      return false;
    }
    size_t start = record.size();
    record.resize(start + size);
    if (!read_exactly(fd, record.data() + start, size)) return false;
    if (header & 0x80000000u) return true;
  }
}

bool decode_auth(XDR* in, opaque_auth* auth, char* body) {
  u_int length = 0;
  auth->oa_base = body;
  return xdr_enum(in, reinterpret_cast<enum_t*>(&auth->oa_flavor)) &&
         xdr_bytes(in, &auth->oa_base, &length, kMaxAuthBytes) &&
         (auth->oa_length = length, true);
}

// The reply to one record; empty when it is not a decodable CALL (no reply is sent).
std::vector<char> answer_record(std::vector<char>& record) {
  XDR in;
  xdrmem_create(&in, record.data(), record.size(), XDR_DECODE);
  uint32_t xid, type, rpc_version, program, version, proc;
  if (!xdr_u_int(&in, &xid) || !xdr_u_int(&in, &type) || type != kCall) return {};
  if (!xdr_u_int(&in, &rpc_version)) return {};
  std::vector<uint32_t> words = {xid, kReply};
  Answer answer{kSuccess, {}};
  opaque_auth cred{}, verifier{};
  char cred_body[kMaxAuthBytes], verifier_body[kMaxAuthBytes];
  if (rpc_version != kRpcVersion) {
    words.insert(words.end(), {kMsgDenied, 0 /* RPC_MISMATCH */, kRpcVersion, kRpcVersion});
  } else if (!xdr_u_int(&in, &program) || !xdr_u_int(&in, &version) ||
             !xdr_u_int(&in, &proc) || !decode_auth(&in, &cred, cred_body) ||
             !decode_auth(&in, &verifier, verifier_body)) {
    logf("xid %u: undecodable call header: no reply", xid);
    return {};
  } else {
    words.insert(words.end(), {kMsgAccepted, 0 /* AUTH_NONE */, 0});
    if (program != {{PROGRAM_NAME}}) {
      answer = {kProgUnavail, {}};
    } else if (version != {{VERSION_NAME}}) {
      answer = {kProgMismatch, {}};
    } else {
      answer = answer_call(proc, cred, &in);
    }
    words.push_back(answer.stat);
    if (answer.stat == kProgMismatch) {
      words.push_back({{VERSION_NAME}});  // lowest and highest version served
      words.push_back({{VERSION_NAME}});
    }
  }
  std::vector<char> reply(4 + 4 * words.size());
  uint32_t mark = htonl(0x80000000u | static_cast<uint32_t>(reply.size() - 4 + answer.results.size()));
  std::memcpy(reply.data(), &mark, 4);
  for (size_t i = 0; i < words.size(); ++i) {
    uint32_t word = htonl(words[i]);
    std::memcpy(reply.data() + 4 + 4 * i, &word, 4);
  }
  if (answer.stat == kSuccess) reply.insert(reply.end(), answer.results.begin(), answer.results.end());
  return reply;
}

void serve_client(int fd) {
  std::vector<char> record;
  while (read_record(fd, record)) {
    std::vector<char> reply = answer_record(record);
    if (!reply.empty() && !write_all(fd, reply.data(), reply.size())) break;
  }
  close(fd);
}

// A connection from another node. TODO: the protocol between your nodes is yours.
void serve_peer(int fd) {
  char buffer[4096];
  while (read(fd, buffer, sizeof buffer) > 0) {
  }
  close(fd);
}

int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);  // a restarted node reuses its port
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 128) != 0) {
    logf("cannot listen on port %d: %s", port, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

void accept_forever(int listener, void (*serve)(int)) {
  for (;;) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd >= 0) std::thread(serve, fd).detach();
  }
}

const char* required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    logf("server: %s is not set; run me with dslab test {{LAB}} .", name);
    std::exit(2);
  }
  return value;
}

}  // namespace

int main() {
  signal(SIGPIPE, SIG_IGN);
  const char* node = std::getenv("DSLAB_NODE_ID") ? std::getenv("DSLAB_NODE_ID") : "n1";
  int port = std::atoi(required_env("DSLAB_PORT"));
  const char* data_dir = required_env("DSLAB_DATA_DIR");
  const char* peer_port = std::getenv("DSLAB_PEER_PORT");
  const char* peers = std::getenv("DSLAB_PEERS") ? std::getenv("DSLAB_PEERS") : "";
  // TODO: recover what is in data_dir before listening: once the port accepts connections,
  // dslab counts the node as ready.
  int clients = listen_on(port);
  if (peer_port != nullptr && *peer_port != '\0') {
    int peer_listener = listen_on(std::atoi(peer_port));
    std::thread(accept_forever, peer_listener, serve_peer).detach();
  }
  logf("%s listening on %d (peer port %s, peers %s, data in %s)", node, port,
       peer_port ? peer_port : "none", *peers ? peers : "none", data_dir);
  accept_forever(clients, serve_client);
}
