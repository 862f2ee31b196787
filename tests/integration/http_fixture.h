// HttpTest: evlogd's HTTP server in-process on 127.0.0.1 (an ephemeral
// port), driven with curl (/usr/bin/curl, every call bounded by --max-time):
// Curl() for requests, SseReader for /subscribe.

#pragma once

#include <signal.h>

#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"

namespace evlog::testutil {

using Json = nlohmann::json;

constexpr const char* kCurl = "/usr/bin/curl";

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

// Runs curl -i with `args`; the last 1xx blocks are skipped.
inline HttpReply Curl(std::vector<std::string> args) {
  std::vector<std::string> argv{kCurl, "-sS", "-i", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  HttpReply reply;
  auto child = ChildProcess::Start(argv);
  if (child == nullptr) return reply;
  std::string out;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), child->out())) > 0) out.append(chunk, n);
  child->Wait();
  for (;;) {
    const size_t end = out.find("\r\n\r\n");
    if (out.rfind("HTTP/", 0) != 0 || end == std::string::npos) return reply;
    const std::string head = out.substr(0, end);
    out = out.substr(end + 4);
    reply.status = std::stoi(head.substr(head.find(' ') + 1, 3));
    if (reply.status >= 200) {
      size_t line = head.find("\r\n");
      while (line != std::string::npos) {
        const size_t next = head.find("\r\n", line + 2);
        const std::string h =
            head.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
        const size_t colon = h.find(':');
        if (colon != std::string::npos) {
          std::string name = h.substr(0, colon);
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          reply.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
        }
        line = next;
      }
      reply.body = out;
      return reply;
    }
  }
}

// One server-sent event as curl prints it.
struct SseEvent {
  uint64_t id = 0;
  std::string type = "message";
  Json data;
  std::vector<std::string> data_lines;  // the raw "data: " lines, without the prefix
};

// curl -N on /subscribe (or another event stream), read line by line. curl's --max-time bounds every
// read: a stream that stops sending ends within it.
class SseReader {
 public:
  // `path`: another event stream than /subscribe.
  SseReader(uint16_t port, const std::string& query, std::vector<std::string> extra = {},
            const std::string& path = "/subscribe") {
    std::vector<std::string> argv{kCurl, "-sSN", "--max-time", "20"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("http://127.0.0.1:" + std::to_string(port) + path + query);
    child_ = ChildProcess::Start(argv);
  }
  ~SseReader() {
    if (child_) child_->KillAndWait(SIGTERM);
  }
  // The next line without its newline; nullopt at the end of the stream.
  std::optional<std::string> Line() {
    if (child_ == nullptr) return std::nullopt;
    // A line may be longer than the buffer (an event of 100,000 levels).
    std::string line;
    char buf[1 << 16];
    while (fgets(buf, sizeof(buf), child_->out()) != nullptr) {
      line += buf;
      if (line.back() == '\n') {
        line.pop_back();
        return line;
      }
    }
    if (line.empty()) return std::nullopt;
    return line;
  }
  // Reads until a comment line starting with `prefix`.
  bool WaitForComment(const std::string& prefix) {
    while (auto line = Line()) {
      if (line->rfind(": " + prefix, 0) == 0) return true;
    }
    return false;
  }
  // The next event (skipping comments); nullopt at the end of the stream.
  std::optional<SseEvent> Next() {
    SseEvent e;
    bool any = false;
    std::string data;
    while (auto line = Line()) {
      if (line->empty()) {
        if (any) return e;
        continue;
      }
      if (line->front() == ':') continue;
      any = true;
      if (line->rfind("id: ", 0) == 0) e.id = std::stoull(line->substr(4));
      // The SSE event type: "message" unless an `event:` field names another.
      if (line->rfind("event: ", 0) == 0) e.type = line->substr(7);
      // Several data lines are one value joined by LF (the SSE rule).
      if (line->rfind("data: ", 0) == 0) e.data_lines.push_back(line->substr(6));
      if (line->rfind("data: ", 0) == 0) data += (data.empty() ? "" : "\n") + line->substr(6);
      e.data = Json::parse(data, nullptr, false);
    }
    return std::nullopt;
  }
  // Waits for the stream to end by itself (server closed); curl's exit status.
  int Finish() {
    while (Line()) {
    }
    const int status = child_->Wait();
    child_.reset();
    return status;
  }

 private:
  std::unique_ptr<ChildProcess> child_;
};

class HttpTest : public DaemonTest {
 protected:
  void SetUp() override { StartHttpServer(); }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + path;
  }
  // curl `method` on `path`: with a JSON `body` if given, then `extra`
  // arguments (headers, -N, ...).
  HttpReply Send(const std::string& method, const std::string& path, const std::string* body,
                 const std::vector<std::string>& extra) {
    std::vector<std::string> args;
    if (method != "GET") args = {"-X", method};
    args.push_back(Url(path));
    if (body != nullptr) {
      args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", *body});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return Curl(args);
  }
  HttpReply Get(const std::string& path, std::vector<std::string> extra = {}) {
    return Send("GET", path, nullptr, extra);
  }
  HttpReply Post(const std::string& path, const std::string& body,
                 std::vector<std::string> extra = {}) {
    return Send("POST", path, &body, extra);
  }
  HttpReply Put(const std::string& path, const std::string& body,
                std::vector<std::string> extra = {}) {
    return Send("PUT", path, &body, extra);
  }
  HttpReply Delete(const std::string& path, std::vector<std::string> extra = {}) {
    return Send("DELETE", path, nullptr, extra);
  }
  void AppendDirect(const std::string& stream, int n) {
    for (int i = 0; i < n; ++i) {
      auto r = store_->Append(stream, ExpectedVersion::Any(),
                              {EventData{.type = "Tick",
                                         .data = "{\"i\":" + std::to_string(i) + "}",
                                         .content_type = ContentType::kJson}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }
};

}  // namespace evlog::testutil
