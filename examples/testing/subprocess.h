#ifndef TOFU_EXAMPLES_TESTING_SUBPROCESS_H_
#define TOFU_EXAMPLES_TESTING_SUBPROCESS_H_

// A child process for tests that drive the example programs: started with its
// stdout and stderr on one pipe, read line by line with a timeout, signalled,
// and waited for. The destructor kills and reaps a child still running. One
// thread at a time.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tofu {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with the given arguments.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();

  // The next line of output without its newline; deadline_exceeded after
  // `timeout`, out_of_range at end of output.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout);

  // Everything the child still writes, until it closes its output.
  absl::StatusOr<std::string> ReadRest(absl::Duration timeout);

  void Signal(int signal_number);

  // The exit code, or an error naming the signal that ended the child.
  absl::StatusOr<int> Wait();

 private:
  Subprocess(int pid, int output) : pid_(pid), output_(output) {}
  // Reads more output into buffered_; false at end of output.
  absl::StatusOr<bool> Fill(absl::Time deadline);

  int pid_;
  int output_;
  std::string buffered_;
};

}  // namespace tofu

#endif  // TOFU_EXAMPLES_TESTING_SUBPROCESS_H_
