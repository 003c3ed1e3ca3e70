// A main() for fuzz targets outside libFuzzer: runs LLVMFuzzerTestOneInput
// once on each input named on the command line (a file, or a directory whose
// regular files are taken in name order) and fails if there was none. The
// replay tests use it to run every committed corpus entry on every build
// (gcc, the sanitizers, Windows under Wine); by hand it reproduces a crash:
//   bazel-bin/fuzz/<target>_replay_test path/to/crash-file
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Appends `arg`, or the regular files in it if it is a directory. False if it
// cannot be read.
bool Collect(const std::string& arg, std::vector<fs::path>& inputs) {
  std::error_code error;
  const fs::path path(arg);
  if (!fs::is_directory(path, error)) {
    inputs.push_back(path);
    return true;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error)) files.push_back(it->path());
  }
  if (error) {
    std::fprintf(stderr, "replay: cannot list %s: %s\n", arg.c_str(),
                 error.message().c_str());
    return false;
  }
  std::sort(files.begin(), files.end());
  inputs.insert(inputs.end(), files.begin(), files.end());
  return true;
}

bool Read(const fs::path& path, std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!Collect(argv[i], inputs)) return 1;
  }
  if (inputs.empty()) {
    std::fprintf(stderr,
                 "replay: no inputs (an empty corpus replays nothing; "
                 "add at least one file)\n");
    return 1;
  }
  std::vector<uint8_t> bytes;
  for (const fs::path& input : inputs) {
    if (!Read(input, bytes)) {
      std::fprintf(stderr, "replay: cannot read %s\n", input.string().c_str());
      return 1;
    }
    std::printf("replay: %s (%zu bytes)\n", input.string().c_str(),
                bytes.size());
    std::fflush(stdout);
    // An empty vector's data() may be null; libFuzzer never passes null.
    const uint8_t empty = 0;
    LLVMFuzzerTestOneInput(bytes.empty() ? &empty : bytes.data(), bytes.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
