// kmq's refusals: exit codes and messages, and the promise never to replace an output or harm an input.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <zlib.h>

#include <opencv2/imgcodecs.hpp>

#include "cli_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::cli;

namespace {

TEST_F(Cli, NeverReplacesAnOutputWithoutForceNorTouchesTheInput) {
  write_text("out.png", "precious");
  const outcome refused = kmq("compress " + sample("fruits.jpg") + " -o " + path("out.png") + " -k 4");
  EXPECT_EQ(refused.code, 73);
  EXPECT_NE(refused.err.find("out.png"), std::string::npos);
  EXPECT_NE(refused.err.find("--force"), std::string::npos);
  EXPECT_EQ(read_text(path("out.png")), "precious");
  EXPECT_EQ(kmq("compress " + sample("fruits.jpg") + " -o " + path("out.png") + " -k 4 --force -q").code, 0);
  EXPECT_NE(read_text(path("out.png")), "precious");

  const std::string original = read_text(path("out.png"));
  const outcome same = kmq("compress " + path("out.png") + " -o " + path("out.png") + " --force");
  EXPECT_EQ(same.code, 64);
  fs::create_symlink(path("out.png"), path("link.png"));
  EXPECT_EQ(kmq("compress " + path("out.png") + " -o " + path("link.png") + " --force").code, 64);
  EXPECT_EQ(read_text(path("out.png")), original);
  expect_no_stray_files();
}

// -o, --palette-out, --labels-out and --report naming one file (by another
// spelling or a link too) is a usage error before anything is written: the
// later file would replace the PNG under --force, or the run fail after it.
TEST_F(Cli, ExtraOutputsNamingTheOutputAreRefusedBeforeAnyWrite) {
  const std::string in = sample("chelsea.png");
  const std::string png = path("o.png");
  fs::create_directories(path("sub"));
  const std::vector<std::string> clashes = {
      " --labels-out " + png,
      " --palette-out " + path("sub/../o.png"),
      " --labels-out " + path("l.png") + " --palette-out " + path("l.png"),
      " --report " + path("r.html") + " --labels-out " + path("p.png") + " --palette-out " + path("./p.png")};
  for (const bool force : {false, true}) {
    // Relative spellings too, from the output's folder (nothing exists yet).
    const outcome relative =
        kmq("compress " + fs::absolute(in).string() + " -o o.png -k 4 --labels-out ./o.png" + (force ? " --force" : ""),
            dir_.string());
    EXPECT_EQ(relative.code, 64) << relative.err;
    EXPECT_FALSE(fs::exists(png));
    for (const std::string& clash : clashes) {
      const outcome o = kmq("compress " + in + " -o " + png + " -k 4" + clash + (force ? " --force" : ""));
      EXPECT_EQ(o.code, 64) << clash << ": " << o.err;
      EXPECT_NE(o.err.find("names the same file as"), std::string::npos) << o.err;
      EXPECT_FALSE(fs::exists(png)) << clash;
      EXPECT_FALSE(fs::exists(path("l.png")) || fs::exists(path("p.png")) || fs::exists(path("r.html"))) << clash;
    }
  }
  // A link to the PNG's path is the same file once the PNG exists.
  ASSERT_EQ(kmq("compress " + in + " -o " + png + " -k 4 -q").code, 0);
  const std::string written = read_text(png);
  fs::create_symlink(png, path("link.png"));
  EXPECT_EQ(kmq("compress " + in + " -o " + png + " -k 4 --force --labels-out " + path("link.png")).code, 64);
  EXPECT_EQ(read_text(png), written);
  EXPECT_EQ(kmq("compress " + in + " -o " + png + " -k 4 --force -q --labels-out " + path("l.png")).code, 0)
      << "distinct files are written";
  EXPECT_TRUE(fs::exists(path("l.png")));
  expect_no_stray_files();
}

TEST_F(Cli, BadInputsGetTheirDocumentedCodesAndNoOutput) {
  write_text("empty.png", "");
  write_text("text.png", "this is not an image\n");
  const std::string jpeg = read_text(sample("fruits.jpg"));
  write_text("cut.jpg", jpeg.substr(0, jpeg.size() / 2));
  // A valid PNG signature and IHDR claiming 100000 x 100000 pixels.
  std::string huge("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x06\0\0\0", 29);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(huge.data() + 12), 17);
  for (int shift = 24; shift >= 0; shift -= 8) huge.push_back(static_cast<char>((crc >> shift) & 0xff));
  write_text("huge.png", huge);
  const std::vector<std::pair<std::string, int>> cases = {
      {"missing.png", 66}, {"empty.png", 65}, {"text.png", 65}, {"cut.jpg", 65}, {"huge.png", 65}};
  for (const auto& [name, code] : cases) {
    const outcome o = kmq("compress " + path(name) + " -o " + path(name + ".out.png"));
    EXPECT_EQ(o.code, code) << name << ": " << o.err;
    EXPECT_NE(o.err.find(name), std::string::npos) << "the message names the file: " << o.err;
    EXPECT_FALSE(fs::exists(path(name + ".out.png"))) << name;
  }
  const outcome unwritable = kmq("compress " + sample("fruits.jpg") + " -o " + path("text.png") + "/sub/out.png");
  EXPECT_EQ(unwritable.code, 73) << unwritable.err;
  expect_no_stray_files();
}

TEST_F(Cli, UsageErrorsExit64) {
  const std::string in = sample("fruits.jpg"), out = " -o " + path("o.png");
  for (const std::string& args : {"compress " + in + out + " -k 0", "compress " + in + out + " -k 257",
                                  "compress " + in + out + " --png-level 13", "compress " + in + out + " --init forgy",
                                  "compress " + in + out + " --backend gpu", "compress " + in + out + " --bogus",
                                  "compress " + in + out + " --restarts 0", "compress " + in + out + " --restarts 2x",
                                  "compress " + in, "compress" + out, std::string("frobnicate"), std::string("")}) {
    const outcome o = kmq(args);
    EXPECT_EQ(o.code, 64) << args << ": " << o.err;
    EXPECT_FALSE(o.err.empty());
  }
  EXPECT_FALSE(fs::exists(path("o.png")));
  EXPECT_EQ(kmq("--help").code, 0);
  const outcome help = kmq("compress --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--no-dedupe"), std::string::npos);
  const outcome version = kmq("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("cuda:"), std::string::npos);
}

TEST_F(Cli, CudaWithoutADeviceExits69) {
  const outcome version = kmq("--version");
  if (version.out.find("device: none") == std::string::npos) GTEST_SKIP() << "a CUDA device answers here";
  const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path("o.png") + " --backend cuda");
  EXPECT_EQ(o.code, 69);
  EXPECT_NE(o.err.find("cuda"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("o.png")));
}

TEST_F(Cli, AnOutputThatIsNotPngIsRefused) {
  for (const std::string name : {"out.jpg", "out", "out.PNG.bak"}) {
    const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path(name));
    EXPECT_EQ(o.code, 64) << name;
    EXPECT_NE(o.err.find("does not end in .png"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(path(name)));
  }
  EXPECT_EQ(kmq("compress " + sample("fruits.jpg") + " -o " + path("upper.PNG") + " -k 2").code, 0);
}

TEST_F(Cli, OptionErrorsNameTheOptionAndItsRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-k abc", "-k/--colors: 'abc' is not a whole number from 1 to 256"},
      {"-k 0", "-k/--colors: '0' is not a whole number from 1 to 256"},
      {"--seed -1", "--seed: '-1' is not a whole number"},
      {"--tol -1", "--tol: '-1' is not a number from 0 to 1"},
      {"--max-file-size 0", "--max-file-size: '0'"},
      {"--restarts 0", "--restarts: '0' is not auto or a whole number from 1 to 1000"},
      // A short option takes the rest of its word as the value, '=' included.
      {"-k=16", "-k/--colors: '=16' is not a whole number"},
  };
  for (const auto& [flags, message] : cases) {
    const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path("o.png") + " " + flags);
    EXPECT_EQ(o.code, 64) << flags;
    EXPECT_NE(o.err.find(message), std::string::npos) << flags << ": " << o.err;
  }
  const outcome help = kmq("compress --help");
  EXPECT_EQ(help.code, 0);
  for (const std::string shown : {"-k, --colors N", "-o, --output FILE", "--out-dir DIR", "Examples:", "Exit codes:",
                                  "PNG, JPEG, WebP, TIFF, BMP"}) {
    EXPECT_NE(help.out.find(shown), std::string::npos) << shown;
  }
  for (const std::string version : {"--version", "-V", "version"}) {
    const outcome v = kmq(version);
    EXPECT_EQ(v.code, 0) << version;
    EXPECT_EQ(v.out.rfind("kmq ", 0), 0u) << version;
  }
}

// Every getopt-like form of an option reads the same (cxxopts's plain parser,
// without <regex>, would refuse an attached value that is not alphanumeric,
// such as -o/tmp/x.png or -o-), and "--" still ends the options.
TEST_F(Cli, EveryFormOfAnOptionParsesAlike) {
  const std::string in = sample("fruits.jpg");
  std::string first;
  for (const std::string& form : {"-k 12", "-k12", "--colors 12", "--colors=12"}) {
    for (const bool attached : {false, true}) {  // -o FILE and -oFILE (a path: not alphanumeric)
      const std::string out = path("form.png");
      fs::remove(out);
      const outcome o = kmq("compress " + in + (attached ? " -o" : " -o ") + out + " " + form + " --seed=3");
      ASSERT_EQ(o.code, 0) << form << ": " << o.err;
      const std::string bytes = read_text(out);
      if (first.empty()) first = bytes;
      EXPECT_EQ(bytes, first) << form;
    }
  }
  const outcome dashed = kmq("compress -o " + path("d.png") + " -- -not-an-option.png");
  EXPECT_EQ(dashed.code, 66) << dashed.err;
  EXPECT_NE(dashed.err.find("-not-an-option.png"), std::string::npos) << dashed.err;
}

// libtiff (with zstd, lzma, Lerc and jbig) is loaded when a TIFF comes, not
// at start-up (io/src/tiff_library.hpp): the dynamic loader's list for kmq
// has no libtiff, and a TIFF still decodes.
TEST_F(Cli, StartsWithoutLibtiffAndLoadsItForATiff) {
  const std::string listed = path("loaded.txt");
  ASSERT_EQ(std::system(("LD_TRACE_LOADED_OBJECTS=1 " + std::string(KMQ_BINARY) + " >" + listed).c_str()), 0);
  const std::string libraries = read_text(listed);
  EXPECT_NE(libraries.find("libpng"), std::string::npos) << libraries;
  EXPECT_EQ(libraries.find("libtiff"), std::string::npos) << libraries;
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  const std::string tiff = (fs::path(root ? root : ".") / "tests" / "data" / "icc" / "icc.tif").string();
  const outcome o = kmq("compress " + tiff + " -o " + path("t.png") + " -k 4");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(path("t.png")));
}

}  // namespace
