// What kmq compress prints reaches a terminal as it should: names with
// control characters quoted, its own line breaks kept, long names whole.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::cli;

namespace {

// A file name with control characters (an escape sequence) reaches the
// terminal quoted as \xNN, in a failure and in the summary line alike.
TEST_F(Cli, ControlCharactersInFileNamesAreShownQuoted) {
  const std::string odd = path("a\x1b[2Jb.png");
  fs::copy_file(sample("chelsea.png"), odd);
  const outcome ok = kmq("compress '" + odd + "' -o " + path("out.png") + " -k 4");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out.find('\x1b'), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("a\\x1b[2Jb.png"), std::string::npos) << ok.out;
  const outcome failed = kmq("compress '" + path("gone\x1b]0;title\x07.png") + "' -o " + path("g.png"));
  EXPECT_EQ(failed.code, 66) << failed.err;
  EXPECT_EQ(failed.err.find('\x1b'), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("gone\\x1b]0;title\\x07.png"), std::string::npos) << failed.err;
}

// The summary's further lines (a quality search, -v's stage times) are real
// lines, while a name's line break stays quoted: only names are quoted.
TEST_F(Cli, TheSummaryKeepsItsLineBreaksAndQuotesOnlyNames) {
  const std::string odd = path("two\nlines.png");
  fs::copy_file(sample("chelsea.png"), odd);
  const outcome o = kmq("compress '" + odd + "' -o " + path("out.png") + " --level smallest -v");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out.find("\\x0a  "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("two\\x0alines.png -> "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\n  quality 0.0-30.0 dB: K="), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\n  seconds: decode "), std::string::npos) << o.out;
}

// A name of some thousand bytes (the summary line was cut at 1023 bytes).
TEST_F(Cli, TheSummaryHoldsALongNameWhole) {
  std::string folder = path("");
  for (const char c : {'d', 'e', 'f', 'g'}) folder += "/" + std::string(200, c);
  fs::create_directories(folder);
  const std::string input = folder + "/" + std::string(200, 'h') + ".png";
  fs::copy_file(sample("chelsea.png"), input);
  const outcome o = kmq("compress " + input + " -o " + path("out.png") + " -k 4");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out.rfind(input + " -> ", 0), 0u) << o.out;
  EXPECT_NE(o.out.find(" s\n"), std::string::npos) << "the line is cut: " << o.out;
}

}  // namespace
