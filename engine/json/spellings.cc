#include "json/spellings.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "json/decimal.h"

namespace evlog::json {

namespace {

// A word a user may type and the value it spells.
template <class T>
struct Word {
  std::string_view text;
  T value;
  // Named in the refusal; false for an old alias still accepted.
  bool listed = true;
};

// Where a spelling also takes a decimal number: what to call it in the
// refusal ("a position") and the value it makes of one.
template <class T>
struct Number {
  std::string_view name;
  T (*value)(uint64_t);
};

// "a, b or c": the listed words, then the number's name.
template <class T>
std::string Choices(std::initializer_list<Word<T>> words, const Number<T>* number) {
  std::vector<std::string_view> names;
  for (const Word<T>& w : words) {
    if (w.listed) names.push_back(w.text);
  }
  if (number != nullptr) names.push_back(number->name);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// The value `text` spells among `words`, else (with `number`) the value of
// the decimal it is; else InvalidArgument
// "<what> must be <choices>, not '<text>'", the text cut at 64 bytes.
template <class T>
Result<T> Spelled(std::string_view text, std::string_view what,
                  std::initializer_list<Word<T>> words, const Number<T>* number) {
  for (const Word<T>& w : words) {
    if (text == w.text) return w.value;
  }
  if (number != nullptr) {
    if (Result<uint64_t> n = ParseUnsigned(text, what); n.ok()) return number->value(*n);
  }
  return Status::InvalidArgument(std::string(what) + " must be " + Choices(words, number) +
                                 ", not '" + std::string(text.substr(0, 64)) + "'");
}

template <class T>
Result<T> Spelled(std::string_view text, std::string_view what,
                  std::initializer_list<Word<T>> words) {
  return Spelled<T>(text, what, words, nullptr);
}

template <class T>
Result<T> Spelled(std::string_view text, std::string_view what,
                  std::initializer_list<Word<T>> words, Number<T> number) {
  return Spelled<T>(text, what, words, &number);
}

}  // namespace

Result<ExpectedVersion> ParseExpectedVersion(std::string_view text, std::string_view what) {
  return Spelled<ExpectedVersion>(
      text, what,
      {{"any", ExpectedVersion::Any()},
       {"no_stream", ExpectedVersion::NoStream()},
       {"stream_exists", ExpectedVersion::StreamExists()},
       {"no-stream", ExpectedVersion::NoStream(), /*listed=*/false},
       {"exists", ExpectedVersion::StreamExists(), /*listed=*/false}},
      {"a version number", [](uint64_t n) { return ExpectedVersion::Exact(Version(n)); }});
}

Result<Durability> ParseDurability(std::string_view text, std::string_view what) {
  return Spelled<Durability>(text, what,
                             {{"sync", Durability::kSync}, {"buffered", Durability::kBuffered}});
}

Result<FeedStart> ParseFeedStart(std::string_view text, std::string_view what) {
  return Spelled<FeedStart>(text, what,
                            {{"oldest", FeedStart::Oldest()}, {"latest", FeedStart::Latest()}},
                            {"a position", [](uint64_t n) { return FeedStart::At(Position(n)); }});
}

Result<DuplicatePolicy> ParseDuplicatePolicy(std::string_view text, std::string_view what) {
  return Spelled<DuplicatePolicy>(
      text, what, {{"error", DuplicatePolicy::kError}, {"skip", DuplicatePolicy::kSkip}});
}

}  // namespace evlog::json
