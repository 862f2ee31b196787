// HeadlessBrowser: Debian's chromium, headless, driven over the DevTools
// protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, each
// message JSON ended by a NUL), for the web console's browser test. It
// records every JavaScript exception, console error and failed request the
// page makes, so a test can fail on any of them.
//
// Every wait is bounded by a deadline; the browser is stopped by its pid
// (Browser.close, then SIGKILL) when the object goes.
//
// Thread-safety: one thread at a time.

#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "testutil/child_process.h"

namespace evlog::testutil {

class HeadlessBrowser {
 public:
  // The chromium binary, or "" when none is installed.
  static std::string Find();

  // Starts `binary` with a fresh profile in `profile_dir` and opens a tab
  // of `width` x `height` CSS pixels. Null if it could not start or the tab
  // did not open within 30 s; then *error says why.
  static std::unique_ptr<HeadlessBrowser> Start(const std::string& binary,
                                                const std::string& profile_dir, int width,
                                                int height, std::string* error);
  ~HeadlessBrowser();

  // Loads `url` in the tab. False if the browser refused or did not answer.
  bool Navigate(const std::string& url);

  // Waits until the JavaScript expression `condition` is true in the page
  // (re-checked on every DOM change), at most `timeout`. False on timeout.
  bool WaitFor(const std::string& condition, std::chrono::milliseconds timeout);

  // The value of `expression` in the page, or nullopt if it threw.
  std::optional<nlohmann::json> Evaluate(const std::string& expression);

  // The page's DOM as HTML ("" if it could not be read).
  std::string Html();

  // Sets the tab's size in CSS pixels (a phone's, say); false on failure.
  bool Resize(int width, int height);

  // Makes the page see `prefers-color-scheme: dark` (or light again).
  bool PreferDark(bool dark);

  // Writes a PNG of the tab to `path`; false on failure.
  bool Screenshot(const std::string& path);

  // Exceptions, console errors and failed requests seen so far, one line
  // each; taken (cleared) by the call.
  std::vector<std::string> TakeProblems();

 private:
  HeadlessBrowser(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}

  // Sends a command (to the tab's session unless `browser_level`) and
  // waits up to `timeout` for its answer: the result, or nullopt on an
  // error answer, a timeout or a closed pipe (*error says which).
  std::optional<nlohmann::json> Call(const std::string& method, nlohmann::json params,
                                     std::chrono::milliseconds timeout, bool browser_level = false,
                                     std::string* error = nullptr);
  // Reads one message until `deadline`; nullopt on timeout or end.
  std::optional<nlohmann::json> ReadMessage(std::chrono::steady_clock::time_point deadline);
  void OnEvent(const nlohmann::json& message);

  std::unique_ptr<ChildProcess> child_;
  std::string buffer_;
  std::string session_;
  int next_id_ = 1;
  std::vector<std::string> problems_;
};

}  // namespace evlog::testutil
