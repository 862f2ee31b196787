// The DCB specification's example patterns (dcb.events), run against the
// embedded Store: each command reads the events its decision depends on
// with one query, decides, and appends under the condition "nothing
// matching that query after the head I read". Then two deciders racing on
// overlapping queries: exactly one wins and the loser's retry sees it.

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::StoreTest;
using Dcb = StoreTest;

EventData Event(std::string type, std::vector<std::string> tags, std::string data = "") {
  return EventData{.type = std::move(type), .data = std::move(data), .tags = std::move(tags)};
}

QueryItem Item(std::vector<std::string> types, std::vector<std::string> tags) {
  return QueryItem{.types = std::move(types), .tags = std::move(tags)};
}

// The decision loop of every pattern: read `query`, let `decide` fold the
// events into the events to append (or a rejection), append them to
// `stream` under the condition, and retry (a bounded number of times) when
// the condition failed. Returns the append's status, or the rejection.
template <class Fn>
Status Decide(Store& store, const Query& query, const std::string& stream, Fn decide) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto read = store.Read(query);
    if (!read.ok()) return read.status();
    std::vector<EventData> events;
    if (Status s = decide(read->events, &events); !s.ok()) return s;
    AppendRequest request;
    request.streams.push_back({.stream = stream, .events = std::move(events)});
    request.condition = AppendCondition{.after = read->head, .fail_if_events_match = query};
    Status s = store.Append(std::move(request)).status();
    if (!s.IsConditionFailed()) return s;
  }
  return Status::TimedOut("gave up after 10 conflicts");
}

// A rejection by the domain, told apart from the store's errors in tests by
// its code.
Status Reject(std::string why) { return Status::InvalidArgument("rejected: " + why); }
bool Rejected(const Status& s) { return s.IsInvalidArgument() && s.message().starts_with("rejected"); }

// ---- Course subscriptions: capacity on both sides ------------------------

// Each student takes at most this many courses.
constexpr int kMaxCoursesPerStudent = 2;

Status DefineCourse(Store& store, const std::string& course, int capacity) {
  const Query q{.items = {Item({"CourseDefined"}, {"course:" + course})}};
  return Decide(store, q, "course-" + course, [&](auto& seen, auto* out) {
    if (!seen.empty()) return Reject("course exists");
    out->push_back(Event("CourseDefined", {"course:" + course}, std::to_string(capacity)));
    return Status::OK();
  });
}

Status ChangeCapacity(Store& store, const std::string& course, int capacity) {
  const Query q{.items = {Item({"CourseDefined", "CourseCapacityChanged"}, {"course:" + course})}};
  return Decide(store, q, "course-" + course, [&](auto& seen, auto* out) {
    if (seen.empty()) return Reject("no such course");
    out->push_back(Event("CourseCapacityChanged", {"course:" + course}, std::to_string(capacity)));
    return Status::OK();
  });
}

Status Subscribe(Store& store, const std::string& student, const std::string& course) {
  const std::string c = "course:" + course, s = "student:" + student;
  const Query q{.items = {Item({"CourseDefined", "CourseCapacityChanged"}, {c}),
                          Item({"StudentSubscribedToCourse"}, {c}),
                          Item({"StudentSubscribedToCourse"}, {s})}};
  return Decide(store, q, "subscriptions", [&](const std::vector<OwnedEvent>& seen, auto* out) {
    int capacity = -1, course_subscriptions = 0, student_subscriptions = 0;
    bool already = false;
    for (const OwnedEvent& e : seen) {
      const auto has = [&](const std::string& tag) {
        return std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end();
      };
      if (e.type != "StudentSubscribedToCourse") {
        capacity = std::stoi(e.data);
        continue;
      }
      course_subscriptions += has(c);
      student_subscriptions += has(s);
      already = already || (has(c) && has(s));
    }
    if (capacity < 0) return Reject("no such course");
    if (already) return Reject("already subscribed");
    if (course_subscriptions >= capacity) return Reject("course full");
    if (student_subscriptions >= kMaxCoursesPerStudent) return Reject("student at their limit");
    out->push_back(Event("StudentSubscribedToCourse", {s, c}));
    return Status::OK();
  });
}

TEST_F(Dcb, CourseSubscriptionsHonourCapacityOnBothSides) {
  ASSERT_OK(DefineCourse(*store_, "c1", 2));
  ASSERT_OK(DefineCourse(*store_, "c2", 10));
  ASSERT_OK(DefineCourse(*store_, "c3", 10));
  EXPECT_TRUE(Rejected(DefineCourse(*store_, "c1", 5)));
  EXPECT_TRUE(Rejected(Subscribe(*store_, "s1", "nope")));
  ASSERT_OK(Subscribe(*store_, "s1", "c1"));
  EXPECT_TRUE(Rejected(Subscribe(*store_, "s1", "c1")));
  ASSERT_OK(Subscribe(*store_, "s2", "c1"));
  EXPECT_TRUE(Rejected(Subscribe(*store_, "s3", "c1")));  // the course is full
  ASSERT_OK(ChangeCapacity(*store_, "c1", 3));
  ASSERT_OK(Subscribe(*store_, "s3", "c1"));               // not any more
  ASSERT_OK(Subscribe(*store_, "s1", "c2"));
  EXPECT_TRUE(Rejected(Subscribe(*store_, "s1", "c3")));  // the student is at their limit
  ASSERT_OK(Subscribe(*store_, "s2", "c3"));
}

// ---- Unique username, released when the account closes -------------------

Status Register(Store& store, const std::string& account, const std::string& username) {
  const Query q{.items = {Item({"AccountRegistered", "AccountClosed"}, {"username:" + username})}};
  return Decide(store, q, "account-" + account, [&](auto& seen, auto* out) {
    if (!seen.empty() && seen.back().type == "AccountRegistered") return Reject("username taken");
    out->push_back(Event("AccountRegistered", {"username:" + username, "account:" + account}));
    return Status::OK();
  });
}

Status Close(Store& store, const std::string& account, const std::string& username) {
  const Query q{.items = {Item({}, {"account:" + account})}};
  return Decide(store, q, "account-" + account, [&](auto& seen, auto* out) {
    if (seen.empty() || seen.back().type == "AccountClosed") return Reject("no open account");
    out->push_back(Event("AccountClosed", {"username:" + username, "account:" + account}));
    return Status::OK();
  });
}

TEST_F(Dcb, AUsernameIsUniqueUntilItsAccountCloses) {
  ASSERT_OK(Register(*store_, "a1", "alice"));
  EXPECT_TRUE(Rejected(Register(*store_, "a2", "alice")));
  ASSERT_OK(Register(*store_, "a2", "bob"));
  ASSERT_OK(Close(*store_, "a1", "alice"));
  ASSERT_OK(Register(*store_, "a3", "alice"));  // released, claimed again
  EXPECT_TRUE(Rejected(Register(*store_, "a4", "alice")));
}

// ---- Invoice numbers without gaps ----------------------------------------

Status CreateInvoice(Store& store, const std::string& customer, uint64_t* number) {
  const Query q{.items = {Item({"InvoiceCreated"}, {})}};
  for (int attempt = 0; attempt < 10; ++attempt) {
    // Only the last invoice matters: read backwards, one event.
    auto last = store.Read(q, {.max_count = 1, .direction = Direction::kBackward});
    if (!last.ok()) return last.status();
    *number = last->events.empty() ? 1 : std::stoull(last->events[0].data) + 1;
    AppendRequest request;
    request.streams.push_back(
        {.stream = "invoices",
         .events = {Event("InvoiceCreated", {"customer:" + customer}, std::to_string(*number))}});
    request.condition = AppendCondition{.after = last->head, .fail_if_events_match = q};
    Status s = store.Append(std::move(request)).status();
    if (!s.IsConditionFailed()) return s;
  }
  return Status::TimedOut("gave up");
}

TEST_F(Dcb, InvoiceNumbersHaveNoGapsUnderConcurrency) {
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::vector<uint64_t>> numbers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        uint64_t n = 0;
        // Unrelated events in between must not disturb the numbering.
        EXPECT_OK(store_->Append("noise-" + std::to_string(t), ExpectedVersion::Any(),
                                 {Event("Noise", {"customer:x"})})
                      .status());
        Status s = CreateInvoice(*store_, "k" + std::to_string(t), &n);
        if (s.ok()) numbers[t].push_back(n);
        EXPECT_TRUE(s.ok() || s.IsTimedOut()) << s.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  size_t count = 0;
  for (const auto& n : numbers) {
    all.insert(n.begin(), n.end());
    count += n.size();
  }
  EXPECT_EQ(all.size(), count);  // no number twice
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), count);  // and none skipped
}

// ---- Opt-in token ---------------------------------------------------------

Status ConfirmSignUp(Store& store, const std::string& email, const std::string& token) {
  const Query q{.items = {Item({"SignUpInitiated", "SignUpConfirmed"}, {"otp:" + token})}};
  return Decide(store, q, "signups", [&](const std::vector<OwnedEvent>& seen, auto* out) {
    bool initiated = false, confirmed = false;
    for (const OwnedEvent& e : seen) {
      initiated = initiated || (e.type == "SignUpInitiated" && e.data == email);
      confirmed = confirmed || e.type == "SignUpConfirmed";
    }
    if (!initiated) return Reject("no sign-up with this token");
    if (confirmed) return Reject("token already used");
    out->push_back(Event("SignUpConfirmed", {"otp:" + token, "email:" + email}, email));
    return Status::OK();
  });
}

TEST_F(Dcb, AnOptInTokenConfirmsOnceAndOnlyItsOwnSignUp) {
  ASSERT_OK(store_->Append("signups", ExpectedVersion::Any(),
                           {Event("SignUpInitiated", {"otp:111", "email:a@x"}, "a@x")})
                .status());
  EXPECT_TRUE(Rejected(ConfirmSignUp(*store_, "a@x", "999")));
  EXPECT_TRUE(Rejected(ConfirmSignUp(*store_, "b@x", "111")));
  ASSERT_OK(ConfirmSignUp(*store_, "a@x", "111"));
  EXPECT_TRUE(Rejected(ConfirmSignUp(*store_, "a@x", "111")));
}

// ---- Dynamic product price ------------------------------------------------

Status Order(Store& store, const std::string& product, const std::string& displayed_price) {
  const Query q{.items = {Item({"ProductDefined", "ProductPriceChanged"}, {"product:" + product})}};
  return Decide(store, q, "orders", [&](const std::vector<OwnedEvent>& seen, auto* out) {
    if (seen.empty()) return Reject("no such product");
    if (seen.back().data != displayed_price) return Reject("the price changed");
    out->push_back(Event("ProductOrdered", {"product:" + product}, displayed_price));
    return Status::OK();
  });
}

TEST_F(Dcb, AnOrderAtAStalePriceIsRejected) {
  ASSERT_OK(store_->Append("product-p1", ExpectedVersion::Any(),
                           {Event("ProductDefined", {"product:p1"}, "100")})
                .status());
  ASSERT_OK(Order(*store_, "p1", "100"));
  ASSERT_OK(store_->Append("product-p1", ExpectedVersion::Any(),
                           {Event("ProductPriceChanged", {"product:p1"}, "120")})
                .status());
  EXPECT_TRUE(Rejected(Order(*store_, "p1", "100")));
  ASSERT_OK(Order(*store_, "p1", "120"));
  EXPECT_TRUE(Rejected(Order(*store_, "p2", "100")));
  // Orders do not change the price: they are no part of the query.
  ASSERT_OK(Order(*store_, "p1", "120"));
}

// ---- Prevent record duplication -------------------------------------------

TEST_F(Dcb, AnIdempotencyTokenPlacesAnOrderOnce) {
  auto place = [&](const std::string& token, const std::string& order) {
    AppendRequest request;
    request.streams.push_back(
        {.stream = "order-" + order,
         .events = {Event("OrderPlaced", {"idempotency:" + token, "order:" + order})}});
    // No position: any event with the token, ever, fails the append.
    request.condition = AppendCondition{
        .fail_if_events_match = Query{.items = {Item({}, {"idempotency:" + token})}}};
    return store_->Append(std::move(request)).status();
  };
  ASSERT_OK(place("t1", "o1"));
  Status again = place("t1", "o2");
  ASSERT_TRUE(again.IsConditionFailed()) << again.ToString();
  EXPECT_EQ(again.conflicting_position(), 1u);
  ASSERT_OK(place("t2", "o2"));
  EXPECT_EQ(*store_->StreamVersion("order-o2"), Version(1));
}

// ---- Event-sourced aggregate ----------------------------------------------

// A course as an aggregate: its state is the fold of the events tagged with
// it; the condition is optimistic concurrency on exactly those events.
struct CourseAggregate {
  std::string id;
  std::string title;
  int capacity = 0;
  Position version;  // the head of the read it was loaded from

  static Result<CourseAggregate> Load(Store& store, const std::string& id) {
    auto read = store.Read(Query{.items = {Item({}, {"course:" + id})}});
    if (!read.ok()) return read.status();
    CourseAggregate a{.id = id, .version = read->head};
    for (const OwnedEvent& e : read->events) {
      if (e.type == "CourseRenamed") a.title = e.data;
      if (e.type == "CourseCapacityChanged") a.capacity = std::stoi(e.data);
    }
    return a;
  }

  Status Save(Store& store, EventData event) const {
    AppendRequest request;
    request.streams.push_back({.stream = "course-" + id, .events = {std::move(event)}});
    request.condition = AppendCondition{
        .after = version, .fail_if_events_match = Query{.items = {Item({}, {"course:" + id})}}};
    return store.Append(std::move(request)).status();
  }
};

TEST_F(Dcb, AnEventSourcedAggregateSavesOnlyOverWhatItLoaded) {
  auto a = CourseAggregate::Load(*store_, "c1").value();
  ASSERT_OK(a.Save(*store_, Event("CourseRenamed", {"course:c1"}, "Maths")));
  auto stale = a;  // loaded before the rename
  a = CourseAggregate::Load(*store_, "c1").value();
  EXPECT_EQ(a.title, "Maths");
  // Another course's events do not make c1 stale.
  ASSERT_OK(store_->Append("course-c2", ExpectedVersion::Any(),
                           {Event("CourseRenamed", {"course:c2"}, "Art")})
                .status());
  ASSERT_OK(a.Save(*store_, Event("CourseCapacityChanged", {"course:c1"}, "30")));
  Status s = stale.Save(*store_, Event("CourseCapacityChanged", {"course:c1"}, "10"));
  EXPECT_TRUE(s.IsConditionFailed()) << s.ToString();
  EXPECT_EQ(s.conflicting_position(), 1u);
  EXPECT_EQ(CourseAggregate::Load(*store_, "c1")->capacity, 30);
}

// ---- Two deciders racing ---------------------------------------------------

// Both read, then both append (a barrier between), on queries that overlap
// in the course's tag: exactly one wins; the loser's retry reads the
// winner's subscription and is rejected because the course is full.
TEST_F(Dcb, TwoDecidersRacingOnOverlappingQueriesHaveOneWinner) {
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string course = "r" + std::to_string(round);
    ASSERT_OK(DefineCourse(*store_, course, 1));
    std::barrier sync(2);
    Status first[2];
    Status retry[2];
    std::vector<std::thread> deciders;
    for (int d = 0; d < 2; ++d) {
      deciders.emplace_back([&, d] {
        const std::string student = course + "-" + std::to_string(d);
        const std::string c = "course:" + course, s = "student:" + student;
        const Query q{.items = {Item({"CourseDefined", "CourseCapacityChanged"}, {c}),
                                Item({"StudentSubscribedToCourse"}, {c}),
                                Item({"StudentSubscribedToCourse"}, {s})}};
        auto read = store_->Read(q);
        sync.arrive_and_wait();  // both have read before either appends
        bool free = read.ok();
        for (const OwnedEvent& e : read->events) {
          const bool of_course = std::find(e.tags.begin(), e.tags.end(), c) != e.tags.end();
          free = free && !(e.type == "StudentSubscribedToCourse" && of_course);
        }
        AppendRequest request;
        request.streams.push_back(
            {.stream = "subscriptions-" + std::to_string(d),
             .events = {Event("StudentSubscribedToCourse", {s, c})}});
        request.condition = AppendCondition{.after = read->head, .fail_if_events_match = q};
        first[d] = free ? store_->Append(std::move(request)).status() : Reject("full");
        sync.arrive_and_wait();
        if (first[d].IsConditionFailed()) retry[d] = Subscribe(*store_, student, course);
      });
    }
    for (auto& t : deciders) t.join();
    EXPECT_NE(first[0].ok(), first[1].ok()) << first[0].ToString() << " / " << first[1].ToString();
    const int loser = first[0].ok() ? 1 : 0;
    EXPECT_TRUE(first[loser].IsConditionFailed()) << first[loser].ToString();
    EXPECT_EQ(retry[loser].message(), "rejected: course full") << retry[loser].ToString();
    auto subs = store_->Read(
        Query{.items = {Item({"StudentSubscribedToCourse"}, {"course:" + course})}});
    EXPECT_EQ(subs->events.size(), 1u);
  }
}

}  // namespace
}  // namespace evlog
