// shell_word: every word comes back from a real POSIX shell unchanged (what a
// pasted command line needs), and plain words stay unquoted.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "kmq/pipeline/shell_word.hpp"

namespace {

// What /bin/sh makes of `printf %s WORD`.
std::string through_shell(const std::string& word) {
  const std::string command = "printf %s " + kmq::shell_word(word);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "(popen failed)";
  std::string out;
  char buffer[256];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

TEST(ShellWord, EveryWordComesBackFromTheShellUnchanged) {
  for (const std::string word : {"$(touch kmq-shell-word-test).png", "my photo (1).png", "it's.png", "a\"b`c\\d.png",
                                 "*.png", "~/x.png", "a;b&c|d>e<f.png", "tab\there.png", "line\nbreak.png",
                                 "-k", "фото ü.png", "'", "''", "!x", "#x", "a=b c"}) {
    EXPECT_EQ(through_shell(word), word) << kmq::shell_word(word);
  }
}

TEST(ShellWord, PlainWordsStayUnquotedAndTheEmptyWordIsQuoted) {
  EXPECT_EQ(kmq::shell_word("photos/IMG_0001.jpg"), "photos/IMG_0001.jpg");
  EXPECT_EQ(kmq::shell_word("--level=best"), "--level=best");
  EXPECT_EQ(kmq::shell_word(""), "''");
  EXPECT_EQ(kmq::shell_word("a b"), "'a b'");
}

}  // namespace
