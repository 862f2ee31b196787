// The web console in a real browser (issue #20): evlogd in-process with
// known data on 127.0.0.1, Debian's chromium headless over the DevTools
// pipe (headless_browser.h). Each test loads a page, waits for what it must
// show (every wait bounded), and fails on any JavaScript exception, console
// error or failed request. Screenshots go to <build>/ui-screenshots/.
// Skipped only when chromium is not installed.

#include <filesystem>
#include <string>

#include "evlog/subscription.h"
#include "evlog/view.h"
#include "integration/headless_browser.h"
#include "integration/http_fixture.h"
#include "testutil/eventually.h"

namespace evlog::testutil {
namespace {

constexpr std::chrono::seconds kPageLoad{20};

class WebConsole : public HttpTest {
 protected:
  void SetUp() override {
    const std::string binary = HeadlessBrowser::Find();
    if (binary.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium)";
    HttpTest::SetUp();
    std::string error;
    std::filesystem::create_directories(dir_.Sub("profile"));
    browser_ = HeadlessBrowser::Start(binary, dir_.Sub("profile"), 1100, 720, &error);
    ASSERT_NE(browser_, nullptr) << error;
  }
  void TearDown() override {
    browser_.reset();
    HttpTest::TearDown();
  }

  void Append(const std::string& stream, const std::string& type, const std::string& data) {
    auto r =
        store_->Append(stream, ExpectedVersion::Any(),
                       {EventData{.type = type, .data = data, .content_type = ContentType::kJson}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Orders, a user, retention rules on order-1, and subscription "billing"
  // that parked order-2's Refunded event and then fell behind.
  void Seed() {
    Append("order-1", "Placed", R"({"total":30,"note":"first <b>order</b>"})");
    Append("order-1", "Paid", R"({"amount":30})");
    Append("order-2", "Refunded", R"({"amount":12})");
    Append("user-1", "Registered", R"({"email":"ada@example.org"})");
    ASSERT_TRUE(store_->SetStreamMetadata("order-1", StreamMetadata{.max_count = 100}).ok());
    SubscriptionOptions options{.name = "billing", .max_attempts = 1};
    options.feed.start = FeedStart::Oldest();
    auto sub = store_->Subscribe(options, [](const std::vector<OwnedEvent>& events) {
      for (const OwnedEvent& e : events) {
        if (e.type == "Refunded") return Status::InvalidArgument("card declined");
      }
      return Status::OK();
    });
    ASSERT_TRUE(sub.ok()) << sub.status().ToString();
    // Done when the event is parked (itself an append) and the checkpoint
    // has caught up with everything.
    ASSERT_TRUE(Eventually([&] {
      auto subs = store_->ListSubscriptions();
      return subs.ok() && subs->size() == 1 && (*subs)[0].parked == 1 && (*subs)[0].lag == 0;
    }));
    (*sub)->Stop();
    // A view caught up with everything so far.
    auto view = store_->OpenView({.name = "counts"},
                                 [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                                   for (const OwnedEvent& e : events) out.Put(e.stream, e.type);
                                   return Status::OK();
                                 });
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    ASSERT_TRUE((*view)->WaitFor(store_->LastPosition(), std::chrono::seconds(30)).ok());
    view->reset();
    // Both behind by these three.
    for (int i = 0; i < 3; ++i) Append("order-3", "Placed", R"({"total":1})");
  }

  // Loads `fragment` (after /ui/#) and waits until the page is ready and
  // `condition` (JavaScript) holds; then screenshots it as `name`.png.
  void Load(const std::string& fragment, const std::string& condition, const std::string& name) {
    ASSERT_TRUE(browser_->Navigate("about:blank"));
    ASSERT_TRUE(browser_->Navigate(Url("/ui/#" + fragment)));
    const bool shown = browser_->WaitFor(
        "document.body.dataset.state === 'ready' && (" + condition + ")", kPageLoad);
    const std::string html = browser_->Html();
    std::filesystem::create_directories(kScreenshotDir);
    EXPECT_TRUE(browser_->Screenshot(std::string(kScreenshotDir) + "/" + name + ".png"));
    ASSERT_TRUE(shown) << "#" << fragment << " never showed: " << condition << "\n" << html;
    html_ = html;
  }
  // No JavaScript error, console error or failed request so far, and the
  // page's own error list is empty.
  void ExpectNoProblems() {
    for (const std::string& p : browser_->TakeProblems()) ADD_FAILURE() << p;
    EXPECT_EQ(browser_->Evaluate("document.getElementById('errors').hidden"), true) << html_;
  }
  bool Shows(const std::string& text) const { return html_.find(text) != std::string::npos; }
  std::string Text(const std::string& selector) {
    auto v = browser_->Evaluate("(document.querySelector(" + nlohmann::json(selector).dump() +
                                ") || {}).textContent || ''");
    return v && v->is_string() ? v->get<std::string>() : "";
  }

  static constexpr const char* kScreenshotDir = EVLOG_UI_SCREENSHOT_DIR;
  std::unique_ptr<HeadlessBrowser> browser_;
  std::string html_;
};

TEST_F(WebConsole, OverviewShowsTheStoresTotalsAndCharts) {
  Seed();
  const uint64_t last = store_->LastPosition().value();
  Load("/overview", "document.querySelector('[data-stat=last_position]')", "overview");
  EXPECT_EQ(Text("[data-stat=last_position] .value"), std::to_string(last));
  EXPECT_NE(Text("[data-stat=disk_bytes] .value"), "");
  EXPECT_TRUE(Shows("Append rate")) << html_;
  EXPECT_TRUE(Shows("<svg")) << html_;
  ExpectNoProblems();
}

TEST_F(WebConsole, StreamsPageListsStreamsAndSearchesByPrefix) {
  Seed();
  Load("/streams", "document.querySelector('[data-stream=\"user-1\"]')", "streams");
  EXPECT_TRUE(Shows("order-1")) << html_;
  EXPECT_TRUE(Shows("order-2")) << html_;
  Load("/streams?prefix=order-", "document.querySelector('[data-stream=\"order-2\"]')",
       "streams-prefix");
  EXPECT_FALSE(Shows("data-stream=\"user-1\"")) << html_;
  Load("/streams?category=user", "document.querySelector('[data-stream=\"user-1\"]')",
       "streams-category");
  EXPECT_FALSE(Shows("data-stream=\"order-1\"")) << html_;
  ExpectNoProblems();
}

TEST_F(WebConsole, StreamPageShowsEventsDataAndMetadata) {
  Seed();
  Load("/streams/order-1", "document.querySelector('tr[data-position]')", "stream");
  EXPECT_EQ(Text("[data-stream-name]"), "order-1");
  EXPECT_TRUE(Shows("Placed")) << html_;
  EXPECT_TRUE(Shows("Paid")) << html_;
  // Data pretty-printed, as text (the markup in it is not markup).
  EXPECT_TRUE(Shows("\"note\": \"first &lt;b&gt;order&lt;/b&gt;\"")) << html_;
  EXPECT_TRUE(Shows("max_count")) << html_;  // the stream metadata
  // A stream without metadata: no failed request for it either.
  Load("/streams/order-2", "document.querySelector('tr[data-position]')", "stream-no-metadata");
  EXPECT_TRUE(Shows("None (no retention rules; not deleted)")) << html_;
  ExpectNoProblems();
  Load("/streams/order-1?direction=backward", "document.querySelector('tr[data-position]')",
       "stream-backward");
  EXPECT_LT(html_.find("Paid"), html_.find("Placed")) << html_;
  ExpectNoProblems();
}

TEST_F(WebConsole, LogPageReadsTheGlobalLogWithFilters) {
  Seed();
  Load("/log?category=user", "document.querySelector('tr[data-position]')", "log");
  EXPECT_TRUE(Shows("ada@example.org")) << html_;
  EXPECT_FALSE(Shows(">order-1<")) << html_;
  Load("/log?type=Refunded", "document.querySelector('tr[data-position]')", "log-type");
  EXPECT_TRUE(Shows("order-2")) << html_;
  EXPECT_FALSE(Shows(">Placed<")) << html_;
  ExpectNoProblems();
}

TEST_F(WebConsole, LiveTailShowsAnEventAppendedAfterThePageLoaded) {
  Seed();
  Load("/live?type=LiveTick", "document.querySelector('[data-live=open]')", "live-open");
  EXPECT_FALSE(Shows("after-load")) << html_;
  // The page has subscribed (from the latest position): this event comes
  // after it, and must arrive over the event stream.
  Append("tick-1", "LiveTick", R"({"marker":"after-load"})");
  Append("tick-1", "Other", R"({"marker":"filtered-out"})");
  Append("tick-1", "LiveTick", R"({"marker":"second"})");
  ASSERT_TRUE(browser_->WaitFor(
      "document.querySelectorAll('#live-list tr[data-position]').length === 2", kPageLoad))
      << browser_->Html();
  html_ = browser_->Html();
  EXPECT_TRUE(Shows("after-load")) << html_;
  EXPECT_TRUE(Shows("second")) << html_;
  EXPECT_FALSE(Shows("filtered-out")) << html_;
  EXPECT_TRUE(browser_->Screenshot(std::string(kScreenshotDir) + "/live.png"));

  // Paused, it holds what arrives; resumed, it shows it.
  ASSERT_EQ(browser_->Evaluate("document.querySelector('main .bar button').click(), true"), true);
  Append("tick-1", "LiveTick", R"({"marker":"while-paused"})");
  ASSERT_TRUE(
      browser_->WaitFor("document.querySelector('#live-rate').textContent !== ''", kPageLoad));
  ASSERT_EQ(browser_->Evaluate("document.querySelector('main .bar button').click(), true"), true);
  ASSERT_TRUE(browser_->WaitFor(
      "document.querySelectorAll('#live-list tr[data-position]').length === 3", kPageLoad))
      << browser_->Html();
  ExpectNoProblems();
}

TEST_F(WebConsole, SubscriptionsPageShowsLagParkedEventsAndReplays) {
  Seed();
  Load("/subscriptions?parked=billing", "document.querySelector('tr[data-parked]')",
       "subscriptions");
  EXPECT_TRUE(Shows("billing")) << html_;
  EXPECT_EQ(browser_->Evaluate(
                "document.querySelector('[data-subscription=billing] [data-lag]').dataset.lag"),
            "3");
  EXPECT_TRUE(Shows("3 events")) << html_;
  EXPECT_EQ(
      browser_->Evaluate("document.querySelector('[data-view=counts] [data-lag]').dataset.lag"),
      "3");
  EXPECT_TRUE(Shows("card declined")) << html_;
  EXPECT_TRUE(Shows("<meter")) << html_;
  ASSERT_EQ(browser_->Evaluate("document.querySelector('main button').click(), true"), true);
  ASSERT_TRUE(browser_->WaitFor(
      "document.getElementById('replay-result').textContent.includes('1 events queued')",
      kPageLoad));
  ExpectNoProblems();
}

TEST_F(WebConsole, AsksForTheTokenOnceAndFollowsLiveWithAnAccessToken) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  StartHttpServer(options);
  Seed();
  ASSERT_TRUE(browser_->Navigate(Url("/ui/#/streams")));
  ASSERT_TRUE(browser_->WaitFor("!document.getElementById('token-form').hidden", kPageLoad))
      << browser_->Html();
  EXPECT_TRUE(browser_->Screenshot(std::string(kScreenshotDir) + "/token.png"));
  // The request that found no token was refused: expected here, once.
  std::vector<std::string> problems = browser_->TakeProblems();
  ASSERT_FALSE(problems.empty());
  for (const std::string& p : problems) EXPECT_NE(p.find("401"), std::string::npos) << p;
  ASSERT_EQ(browser_->Evaluate("document.getElementById('token-input').value = 's3cret',"
                               " document.getElementById('token-form').requestSubmit(), true"),
            true);
  ASSERT_TRUE(
      browser_->WaitFor("document.body.dataset.state === 'ready' && "
                        "document.querySelector('[data-stream=\"user-1\"]')",
                        kPageLoad))
      << browser_->Html();
  ExpectNoProblems();
  // Kept for the tab: another page load does not ask again, and the event
  // stream opens with an access token from POST /token.
  Load("/live?type=LiveTick", "document.querySelector('[data-live=open]')", "live-token");
  EXPECT_TRUE(browser_->Evaluate("document.getElementById('token-form').hidden") == true);
  Append("tick-1", "LiveTick", R"({"marker":"with-token"})");
  ASSERT_TRUE(
      browser_->WaitFor("document.querySelector('#live-list tr[data-position]')", kPageLoad))
      << browser_->Html();
  EXPECT_NE(browser_->Html().find("with-token"), std::string::npos);
  ExpectNoProblems();
}

TEST_F(WebConsole, LiveTailResumesWithAFreshAccessTokenAfterARestart) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  StartHttpServer(options);
  const uint16_t port = http_port_;
  Seed();
  ASSERT_TRUE(browser_->Navigate(Url("/ui/#/live?type=LiveTick")));
  ASSERT_TRUE(browser_->WaitFor("!document.getElementById('token-form').hidden", kPageLoad));
  ASSERT_EQ(browser_->Evaluate("document.getElementById('token-input').value = 's3cret',"
                               " document.getElementById('token-form').requestSubmit(), true"),
            true);
  ASSERT_TRUE(browser_->WaitFor("document.querySelector('[data-live=open]')", kPageLoad));
  Append("tick-1", "LiveTick", R"({"marker":"before-restart"})");
  ASSERT_TRUE(
      browser_->WaitFor("document.querySelector('#live-list tr[data-position]')", kPageLoad));

  // The drain ends the event stream; the new server knows no access token
  // of the old one, so the browser's own reconnect is refused (401) and
  // closes: the page must get a new one and resume after the last event.
  StopServer();
  Append("tick-1", "LiveTick", R"({"marker":"while-down"})");
  options.http = server::HttpOptions{};
  options.http->endpoint = net::tcp::endpoint(net::asio::ip::make_address_v4("127.0.0.1"), port);
  StartServer(options);
  Append("tick-1", "LiveTick", R"({"marker":"after-restart"})");
  ASSERT_TRUE(browser_->WaitFor(
      "document.querySelectorAll('#live-list tr[data-position]').length === 3", kPageLoad))
      << browser_->Html();
  const std::string html = browser_->Html();
  EXPECT_LT(html.find("before-restart"), html.find("while-down"));
  EXPECT_LT(html.find("while-down"), html.find("after-restart"));
  EXPECT_TRUE(browser_->Screenshot(std::string(kScreenshotDir) + "/live-resumed.png"));
  // Expected: the first 401s (no token yet, the refused reconnect) and a
  // refused connection while evlogd was down; nothing else.
  for (const std::string& p : browser_->TakeProblems()) {
    EXPECT_TRUE(p.find("401") != std::string::npos ||
                p.find("CONNECTION_REFUSED") != std::string::npos ||
                p.find("/subscribe") != std::string::npos)
        << p;
  }
}

TEST_F(WebConsole, AFailedRequestOrScriptErrorIsSeen) {
  // The harness itself: a stream that does not exist is a 404 the page
  // shows and the test notices.
  Load("/streams/nope", "document.querySelector('main h2')", "missing-stream");
  EXPECT_TRUE(Shows("not_found") || Shows("no events") || Shows("not found")) << html_;
  std::vector<std::string> problems = browser_->TakeProblems();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("404"), std::string::npos) << problems[0];
  // An uncaught exception is seen by the test and written into the page.
  ASSERT_TRUE(browser_->Evaluate("setTimeout(() => { throw new Error('boom'); }), true"));
  ASSERT_TRUE(browser_->WaitFor("!document.getElementById('errors').hidden", kPageLoad));
  EXPECT_NE(browser_->Html().find("script error: Uncaught Error: boom"), std::string::npos)
      << browser_->Html();
  problems = browser_->TakeProblems();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("boom"), std::string::npos) << problems[0];
}

TEST_F(WebConsole, FitsAPhoneWidthAndFollowsDarkMode) {
  Seed();
  ASSERT_TRUE(browser_->Resize(390, 800));
  const std::pair<const char*, const char*> pages[] = {{"/overview", "phone-overview"},
                                                       {"/streams", "phone-streams"},
                                                       {"/streams/order-1", "phone-stream"},
                                                       {"/log", "phone-log"},
                                                       {"/subscriptions", "phone-subscriptions"}};
  for (const auto& [page, name] : pages) {
    Load(page, "document.querySelector('main h2')", name);
    // Wide tables scroll inside their box; the page itself never does.
    EXPECT_EQ(browser_->Evaluate("document.documentElement.scrollWidth <= window.innerWidth"), true)
        << page;
  }
  ASSERT_TRUE(browser_->PreferDark(true));
  Load("/streams/order-1", "document.querySelector('tr[data-position]')", "dark");
  // The page's background follows the system's dark mode.
  EXPECT_EQ(browser_->Evaluate("getComputedStyle(document.body).backgroundColor"),
            "rgb(21, 23, 28)");
  ExpectNoProblems();
}

}  // namespace
}  // namespace evlog::testutil
