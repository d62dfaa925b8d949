// Replay driver for builds without libFuzzer (g++): feeds every file of the
// given corpus directories, then --iterations seeded random mutations of
// them, to LLVMFuzzerTestOneInput. Runs in ctest so that the fuzz entry point
// stays exercised on every build; real fuzzing uses clang (see CMakeLists).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long iterations = 10000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--iterations=", 13) == 0) {
      iterations = std::strtol(argv[i] + 13, nullptr, 10);
      continue;
    }
    if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "Usage: " << argv[0] << " [--iterations=N] CORPUS_DIR...\n";
      return 0;
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i], ec)) {
      if (!entry.is_regular_file()) continue;  // e.g. another target's corpus folder
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      corpus.push_back(buffer.str());
    }
  }
  if (corpus.empty()) corpus.push_back(std::string());
  for (const std::string& input : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::mt19937_64 rng(20261129);
  for (long i = 0; i < iterations; ++i) {
    std::string input = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:  // flip a byte
          if (!input.empty()) input[rng() % input.size()] = static_cast<char>(rng());
          break;
        case 1:  // insert a byte
          input.insert(input.begin() + static_cast<long>(rng() % (input.size() + 1)),
                       static_cast<char>(rng()));
          break;
        case 2:  // truncate
          if (!input.empty()) input.resize(rng() % input.size());
          break;
        default:  // splice another input
          input += corpus[rng() % corpus.size()].substr(0, 64);
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::cout << "frame_fuzz: " << corpus.size() << " corpus inputs and " << iterations
            << " mutations ran clean\n";
  return 0;
}
