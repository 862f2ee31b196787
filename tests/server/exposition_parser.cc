#include "exposition_parser.h"

#include <cmath>
#include <cstdlib>
#include <set>

namespace evlog::testutil {

namespace {

bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool IsNameChar(char c, bool colon) { return IsNameStart(c, colon) || (c >= '0' && c <= '9'); }

bool ValidName(std::string_view s, bool colon) {
  if (s.empty() || !IsNameStart(s[0], colon)) return false;
  for (char c : s) {
    if (!IsNameChar(c, colon)) return false;
  }
  return true;
}

// Go's ParseFloat accepts more, but this is what exposition writers emit.
bool ParseValue(std::string_view s, double* out) {
  if (s == "+Inf" || s == "Inf") {
    *out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    *out = NAN;
    return true;
  }
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  if (i != s.size()) return false;
  *out = std::strtod(std::string(s).c_str(), nullptr);
  return true;
}

class Parser {
 public:
  Result<std::vector<ExpositionFamily>> Parse(std::string_view text) {
    if (!text.empty() && text.back() != '\n') return Fail("the last line has no line feed");
    while (!text.empty()) {
      ++line_number_;
      const size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text.remove_prefix(end + 1);
      Status s = line.starts_with("#") ? Comment(line) : SampleLine(line);
      if (!s.ok()) return s;
    }
    if (Status s = CheckHistograms(); !s.ok()) return s;
    return families_;
  }

 private:
  Status Fail(std::string what) const {
    return Status::InvalidArgument("line " + std::to_string(line_number_) + ": " + what);
  }

  Status Comment(std::string_view line) {
    const bool help = line.starts_with("# HELP ");
    const bool type = line.starts_with("# TYPE ");
    if (!help && !type) return Status::OK();  // other comments are ignored
    std::string_view rest = line.substr(7);
    const size_t space = rest.find(' ');
    std::string name(rest.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : rest.substr(space + 1);
    if (!ValidName(name, true)) return Fail("bad metric name '" + name + "'");
    ExpositionFamily* f = FamilyFor(name);
    if (f == nullptr) return Fail("family '" + name + "' appears again after another family");
    if (help) {
      if (!helped_.insert(name).second) return Fail("a second HELP for '" + name + "'");
      std::string text;
      for (size_t i = 0; i < arg.size(); ++i) {
        if (arg[i] != '\\') {
          text += arg[i];
          continue;
        }
        if (++i == arg.size()) return Fail("HELP ends in a backslash");
        if (arg[i] == '\\') {
          text += '\\';
        } else if (arg[i] == 'n') {
          text += '\n';
        } else {
          return Fail("bad escape in HELP");
        }
      }
      f->help = text;
      return Status::OK();
    }
    if (!typed_.insert(name).second) return Fail("a second TYPE for '" + name + "'");
    if (!f->samples.empty()) return Fail("TYPE of '" + name + "' after its samples");
    static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
    if (!kTypes.contains(arg)) return Fail("unknown type '" + std::string(arg) + "'");
    f->type = std::string(arg);
    return Status::OK();
  }

  // The family `name` belongs to: the current one, or a new one. nullptr if
  // the family was seen before and another came in between.
  ExpositionFamily* FamilyFor(const std::string& name) {
    if (!families_.empty()) {
      ExpositionFamily& current = families_.back();
      if (current.name == name) return &current;
      if (current.type == "histogram" &&
          (name == current.name + "_bucket" || name == current.name + "_sum" ||
           name == current.name + "_count")) {
        return &current;
      }
    }
    if (!seen_.insert(name).second) return nullptr;
    families_.push_back(ExpositionFamily{.name = name});
    return &families_.back();
  }

  Status SampleLine(std::string_view line) {
    size_t i = 0;
    while (i < line.size() && IsNameChar(line[i], true)) ++i;
    ExpositionSample sample{.name = std::string(line.substr(0, i))};
    if (!ValidName(sample.name, true))
      return Fail("bad metric name in '" + std::string(line) + "'");
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (;;) {
        if (i < line.size() && line[i] == '}') break;
        size_t start = i;
        while (i < line.size() && IsNameChar(line[i], false)) ++i;
        std::string label(line.substr(start, i - start));
        if (!ValidName(label, false) || label.starts_with("__")) {
          return Fail("bad label name '" + label + "'");
        }
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return Fail("label '" + label + "' without =\"value\"");
        }
        i += 2;
        std::string value;
        for (;; ++i) {
          if (i >= line.size()) return Fail("unterminated label value");
          if (line[i] == '"') break;
          if (line[i] != '\\') {
            value += line[i];
            continue;
          }
          if (++i >= line.size()) return Fail("unterminated label value");
          if (line[i] == '\\' || line[i] == '"') {
            value += line[i];
          } else if (line[i] == 'n') {
            value += '\n';
          } else {
            return Fail("bad escape in label value");
          }
        }
        ++i;  // the closing quote
        if (!sample.labels.emplace(label, value).second) {
          return Fail("label '" + label + "' twice");
        }
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i >= line.size() || line[i] != '}')
          return Fail("expected ',' or '}'");
      }
      ++i;  // '}'
    }
    if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) {
      return Fail("no space before the value");
    }
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string_view rest = line.substr(i);
    std::string_view value = rest.substr(0, rest.find_first_of(" \t"));
    if (!ParseValue(value, &sample.value)) return Fail("bad value '" + std::string(value) + "'");
    rest.remove_prefix(value.size());
    while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
    if (!rest.empty()) {
      for (char c : rest) {
        if ((c < '0' || c > '9') && c != '-') return Fail("bad timestamp");
      }
    }
    ExpositionFamily* f = FamilyFor(sample.name);
    if (f == nullptr) return Fail("family of '" + sample.name + "' appears again");
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels) key += "\x01" + k + "\x02" + v;
    if (!sample_keys_.insert(key).second) return Fail("sample '" + sample.name + "' twice");
    f->samples.push_back(std::move(sample));
    return Status::OK();
  }

  Status CheckHistograms() const {
    for (const ExpositionFamily& f : families_) {
      if (f.type != "histogram") continue;
      struct Series {
        std::vector<std::pair<double, double>> buckets;
        bool has_sum = false, has_count = false;
        double count = 0;
      };
      std::map<std::map<std::string, std::string>, Series> series;
      for (const ExpositionSample& s : f.samples) {
        std::map<std::string, std::string> labels = s.labels;
        if (s.name == f.name + "_bucket") {
          auto le = labels.find("le");
          if (le == labels.end()) return Status::InvalidArgument(f.name + ": bucket without le");
          double bound = 0;
          if (!ParseValue(le->second, &bound)) {
            return Status::InvalidArgument(f.name + ": bad le '" + le->second + "'");
          }
          labels.erase(le);
          series[labels].buckets.emplace_back(bound, s.value);
        } else if (s.name == f.name + "_sum") {
          series[labels].has_sum = true;
        } else if (s.name == f.name + "_count") {
          series[labels].has_count = true;
          series[labels].count = s.value;
        } else {
          return Status::InvalidArgument(f.name + ": sample '" + s.name + "' in a histogram");
        }
      }
      for (const auto& [labels, s] : series) {
        if (!s.has_sum || !s.has_count) {
          return Status::InvalidArgument(f.name + ": _sum or _count missing");
        }
        if (s.buckets.empty() || !std::isinf(s.buckets.back().first)) {
          return Status::InvalidArgument(f.name + ": no le=\"+Inf\" bucket last");
        }
        for (size_t i = 1; i < s.buckets.size(); ++i) {
          if (!(s.buckets[i - 1].first < s.buckets[i].first)) {
            return Status::InvalidArgument(f.name + ": le bounds not ascending");
          }
          if (s.buckets[i - 1].second > s.buckets[i].second) {
            return Status::InvalidArgument(f.name + ": bucket counts not cumulative");
          }
        }
        if (s.buckets.back().second != s.count) {
          return Status::InvalidArgument(f.name + ": the +Inf bucket differs from _count");
        }
      }
    }
    return Status::OK();
  }

  size_t line_number_ = 0;
  std::vector<ExpositionFamily> families_;
  std::set<std::string> seen_, helped_, typed_, sample_keys_;
};

}  // namespace

Result<std::vector<ExpositionFamily>> ParseExposition(std::string_view text) {
  return Parser().Parse(text);
}

}  // namespace evlog::testutil
