// Drives a libFuzzer entry point without libFuzzer: every file of a corpus folder, then N inputs
// made by a seeded generator (random bytes, and corpus entries with random edits), so a CI run
// is repeatable. Usage: <program> CORPUS_DIR [N]
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::string> read_corpus(const std::filesystem::path& dir) {
  std::vector<std::string> corpus;
  if (!std::filesystem::is_directory(dir)) return corpus;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return corpus;
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(std::string input, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const auto pos = input.empty() ? 0 : rng() % input.size();
    switch (rng() % 4) {
      case 0:
        if (!input.empty()) input[pos] = static_cast<char>(byte(rng));
        break;
      case 1:
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(byte(rng)));
        break;
      case 2:
        if (!input.empty()) input.erase(pos, 1);
        break;
      default:
        input += input.substr(pos, rng() % 8);
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    static_cast<void>(std::fprintf(stderr, "usage: %s CORPUS_DIR [N]\n", argv[0]));
    return 2;
  }
  const auto corpus = read_corpus(argv[1]);
  const long generated = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 10000;
  for (const auto& input : corpus) run(input);
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int> byte(0, 255);
  for (long i = 0; i < generated; ++i) {
    if (!corpus.empty() && i % 2 == 0) {
      run(mutate(corpus[static_cast<std::size_t>(rng() % corpus.size())], rng));
    } else {
      std::string input(rng() % 96, '\0');
      for (char& c : input) c = static_cast<char>(byte(rng));
      run(input);
    }
  }
  std::printf("replayed %zu corpus inputs and %ld generated inputs\n", corpus.size(), generated);
  return 0;
}
