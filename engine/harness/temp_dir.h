// TempDir: a fresh directory under the system's temporary directory (or a
// given parent), removed with everything in it when the object goes out of
// scope. The one scratch directory of the tests, the benches, torture and
// loadtest.

#pragma once

#include <memory>
#include <string>

namespace evlog::harness {

class TempDir {
 public:
  // Makes <temp>/evlog-test-XXXXXX. Throws std::runtime_error if it cannot
  // (tests and benches have nowhere to run without it).
  TempDir() : TempDir("", "evlog-test") {}
  // Makes <parent>/<prefix>-XXXXXX; an empty `parent` is the system's
  // temporary directory, which is created if missing.
  TempDir(const std::string& parent, const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// For a tool whose store defaults to a temporary one (torture, loadtest):
// when *db is empty, makes <temp>/<prefix>-XXXXXX into *temp and points *db
// at its "store"; when *db is given, does nothing. False, with the reason
// on stderr, if the directory cannot be made.
bool TempStoreUnlessGiven(const std::string& prefix, std::string* db,
                          std::unique_ptr<TempDir>* temp);

}  // namespace evlog::harness
