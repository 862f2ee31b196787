// The DevTools protocol's pipe transport wants the browser's fd 3 and fd 4;
// ChildProcess gives a child only stdin and stdout, so a shell moves them
// there before it execs the browser (the same pid: ChildProcess stops it).

#include "integration/headless_browser.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace evlog::testutil {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string Base64Decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string HeadlessBrowser::Find() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

std::unique_ptr<HeadlessBrowser> HeadlessBrowser::Start(const std::string& binary,
                                                        const std::string& profile_dir, int width,
                                                        int height, std::string* error) {
  // A browser that dies leaves a closed pipe: writes must fail, not kill us.
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> argv{
      "/bin/sh",
      "-c",
      "exec \"$@\" 3<&0 4>&1 >/dev/null </dev/null",
      "sh",
      binary,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--remote-debugging-pipe",
      "--user-data-dir=" + profile_dir,
      "--window-size=" + std::to_string(width) + "," + std::to_string(height),
      "about:blank"};
  ChildOptions options{
      .pipe_stdin = true, .pipe_stdout = true, .stderr_file = profile_dir + "/chromium.log"};
  std::unique_ptr<ChildProcess> child = ChildProcess::Start(argv, options, error);
  if (child == nullptr) return nullptr;
  std::unique_ptr<HeadlessBrowser> browser(new HeadlessBrowser(std::move(child)));
  constexpr std::chrono::seconds kStart{30};
  std::optional<Json> target =
      browser->Call("Target.createTarget", {{"url", "about:blank"}}, kStart, true, error);
  if (!target) return nullptr;
  std::optional<Json> attached =
      browser->Call("Target.attachToTarget",
                    {{"targetId", (*target)["targetId"]}, {"flatten", true}}, kStart, true, error);
  if (!attached) return nullptr;
  browser->session_ = (*attached)["sessionId"].get<std::string>();
  for (const char* domain : {"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"}) {
    if (!browser->Call(domain, Json::object(), kStart, false, error)) return nullptr;
  }
  if (!browser->Resize(width, height)) {
    if (error) *error = "the tab could not be sized";
    return nullptr;
  }
  return browser;
}

HeadlessBrowser::~HeadlessBrowser() {
  // Closing lets the browser end its own helper processes; then by pid.
  Call("Browser.close", Json::object(), std::chrono::seconds(5), true);
  child_->CloseIn();
  if (!child_->WaitFor(std::chrono::seconds(10))) child_->KillAndWait(SIGKILL);
}

std::optional<Json> HeadlessBrowser::Call(const std::string& method, Json params,
                                          std::chrono::milliseconds timeout, bool browser_level,
                                          std::string* error) {
  const int id = next_id_++;
  Json message{{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (!browser_level) message["sessionId"] = session_;
  if (child_->in_fd() < 0 || !WriteAll(child_->in_fd(), message.dump() + '\0')) {
    if (error) *error = method + ": the browser's pipe is closed";
    return std::nullopt;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  while (std::optional<Json> m = ReadMessage(deadline)) {
    if (!m->contains("id")) {
      OnEvent(*m);
      continue;
    }
    if ((*m)["id"] != id) continue;
    if (m->contains("error")) {
      if (error) *error = method + ": " + (*m)["error"].dump();
      return std::nullopt;
    }
    return (*m)["result"];
  }
  if (error) *error = method + ": no answer in time";
  return std::nullopt;
}

std::optional<Json> HeadlessBrowser::ReadMessage(Clock::time_point deadline) {
  for (;;) {
    const size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      Json m = Json::parse(buffer_.substr(0, end), nullptr, false);
      buffer_.erase(0, end + 1);
      if (m.is_object()) return m;
      continue;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || child_->out_fd() < 0) return std::nullopt;
    pollfd p{.fd = child_->out_fd(), .events = POLLIN, .revents = 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[1 << 16];
    const ssize_t n = read(child_->out_fd(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void HeadlessBrowser::OnEvent(const Json& m) {
  const std::string method = m.value("method", "");
  const Json& p = m.contains("params") ? m["params"] : Json::object();
  if (method == "Runtime.exceptionThrown") {
    const Json& d = p["exceptionDetails"];
    std::string text = d.value("text", "");
    if (d.contains("exception")) text += " " + d["exception"].value("description", "");
    problems_.push_back("exception: " + text);
  } else if (method == "Runtime.consoleAPICalled" && p.value("type", "") == "error") {
    problems_.push_back("console.error: " + p["args"].dump());
  } else if (method == "Log.entryAdded" && p["entry"].value("level", "") == "error") {
    problems_.push_back("log: " + p["entry"].value("text", "") + " " + p["entry"].value("url", ""));
  } else if (method == "Network.responseReceived") {
    const int status = p["response"].value("status", 0);
    if (status >= 400) {
      problems_.push_back("request failed: " + std::to_string(status) + " " +
                          p["response"].value("url", ""));
    }
  } else if (method == "Network.loadingFailed" && !p.value("canceled", false)) {
    problems_.push_back("request failed: " + p.value("errorText", ""));
  }
}

bool HeadlessBrowser::Navigate(const std::string& url) {
  return Call("Page.navigate", {{"url", url}}, std::chrono::seconds(30)).has_value();
}

std::optional<Json> HeadlessBrowser::Evaluate(const std::string& expression) {
  std::optional<Json> r =
      Call("Runtime.evaluate",
           {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}},
           std::chrono::seconds(30));
  if (!r || r->contains("exceptionDetails")) return std::nullopt;
  return (*r)["result"].value("value", Json());
}

bool HeadlessBrowser::WaitFor(const std::string& condition, std::chrono::milliseconds timeout) {
  // Resolves when the condition holds, checking again on every DOM change:
  // the page tells us, no polling from here.
  const std::string expression =
      "new Promise((resolve) => { const ok = () => { try { return !!(" + condition +
      "); } catch (e) { return false; } };"
      " if (ok()) return resolve(true);"
      " const o = new MutationObserver(() => { if (ok()) { o.disconnect(); resolve(true); } });"
      " o.observe(document, {subtree: true, childList: true, attributes: true,"
      " characterData: true}); })";
  const Clock::time_point deadline = Clock::now() + timeout;
  // A navigation destroys the context an evaluation waits in: ask again.
  while (Clock::now() < deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::optional<Json> r =
        Call("Runtime.evaluate",
             {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, left);
    if (r && !r->contains("exceptionDetails") && (*r)["result"].value("value", false)) return true;
    if (!r && child_->TryWait()) return false;
  }
  return false;
}

std::string HeadlessBrowser::Html() {
  std::optional<Json> html = Evaluate("document.documentElement.outerHTML");
  return html && html->is_string() ? html->get<std::string>() : "";
}

bool HeadlessBrowser::Resize(int width, int height) {
  return Call("Emulation.setDeviceMetricsOverride",
              {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}},
              std::chrono::seconds(30))
      .has_value();
}

bool HeadlessBrowser::PreferDark(bool dark) {
  const Json features =
      Json::array({{{"name", "prefers-color-scheme"}, {"value", dark ? "dark" : "light"}}});
  return Call("Emulation.setEmulatedMedia", {{"features", features}}, std::chrono::seconds(30))
      .has_value();
}

bool HeadlessBrowser::Screenshot(const std::string& path) {
  std::optional<Json> shot =
      Call("Page.captureScreenshot", {{"format", "png"}}, std::chrono::seconds(30));
  if (!shot || !shot->contains("data")) return false;
  std::ofstream out(path, std::ios::binary);
  out << Base64Decode((*shot)["data"].get<std::string>());
  return static_cast<bool>(out);
}

std::vector<std::string> HeadlessBrowser::TakeProblems() { return std::exchange(problems_, {}); }

}  // namespace evlog::testutil
