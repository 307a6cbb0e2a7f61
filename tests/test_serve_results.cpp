// kmq serve's answers against `kmq compress` (fixture: serve_test_support.hpp):
// previews pixel for pixel, downloads byte for byte, statistics equal to its
// --json, every download, and the zip of several images read back with libzip.
#include <zip.h>

#include "kmq/io/image_decoder.hpp"
#include "serve_test_support.hpp"

using namespace kmq::testing::serve;

// The zip in a response body, read back with libzip (nullptr, with a test failure, when it is not one).
namespace {
zip_t* open_zip(const std::string& body) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* source = zip_source_buffer_create(body.data(), body.size(), 0, &err);
  if (source == nullptr) return nullptr;
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &err);
  EXPECT_NE(archive, nullptr) << zip_error_strerror(&err);
  if (archive == nullptr) zip_source_free(source);
  return archive;
}
}  // namespace

TEST_F(serve_test, PreviewMatchesKmqCompressPixelForPixel) {
  start();
  const std::string input = (source_dir() / fruits).string();
  for (const std::string& flags : {std::string("-k 16"), std::string("-k 5 --seed 7 --dither fs")}) {
    const json image = upload(read_bytes(input), "fruits.jpg");
    const std::string query = flags == "-k 16" ? "k=16" : "k=5&seed=7&dither=fs";
    auto res = client().Get(("/api/images/" + image.at("id").get<std::string>() + "/preview?" + query).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const preview p = parse_preview(res->body);
    const auto [png, line] = compress(input, flags);
    const kmq::io::decoded_image expected =
        kmq::io::image_decoder().decode_bytes(std::vector<std::uint8_t>(png.begin(), png.end()), "kmq compress output");
    ASSERT_EQ(p.labels.size(), expected.pixels.size());
    EXPECT_EQ(p.palette.size(), line.at("palette_size").get<std::size_t>());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < expected.pixels.size(); ++i) {
      differ += p.palette.at(static_cast<unsigned char>(p.labels[i])) != expected.pixels[i];
    }
    EXPECT_EQ(differ, 0u) << flags;
    if (flags == "-k 16") EXPECT_DOUBLE_EQ(p.stats.at("psnr").get<double>(), line.at("psnr").get<double>());
  }
}

TEST_F(serve_test, DownloadIsByteIdenticalToKmqCompressAndStatisticsEqualItsJson) {
  start();
  const std::string input = (source_dir() / fruits).string();
  const json image = upload(read_bytes(input), input);  // named as kmq compress names it
  const std::string base = "/api/images/" + image.at("id").get<std::string>();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"k=16", "-k 16"}, {"level=balanced", "--level balanced"}, {"k=32&dither=fs&seed=3", "-k 32 --dither fs --seed 3"}};
  for (const auto& [query, flags] : cases) {
    const auto [png, line] = compress(input, flags);
    auto download = client().Get((base + "/download/png?" + query).c_str());
    ASSERT_TRUE(download);
    ASSERT_EQ(download->status, 200) << download->body;
    EXPECT_TRUE(download->body == png) << flags << ": the downloaded PNG differs from kmq compress's";
    EXPECT_NE(download->get_header_value("Content-Disposition").find("fruits.png"), std::string::npos);
    auto result = client().Get((base + "/result?" + query).c_str());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json stats = json::parse(result->body);
    for (const auto& [key, value] : line.items()) {
      if (key == "seconds" || key == "output") continue;
      EXPECT_EQ(stats.at(key), value) << flags << ": " << key;
    }
  }
}

// An animated PNG's full result says, as kmq compress --json does, that only
// its first frame is compressed (the page shows the result's notices).
TEST_F(serve_test, AnAnimatedPngsResultCarriesTheFirstFrameNotice) {
  start();
  std::string png = read_bytes(source_dir() / "sample_images/chelsea.png");
  // Two frames besides the image shown (no fcTL before IDAT: that image is none of them).
  std::string actl = std::string("\0\0\0\x08", 4) + "acTL" + std::string("\0\0\0\x02\0\0\0\0", 8);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(actl.data() + 4), 12);
  for (int shift = 24; shift >= 0; shift -= 8) actl.push_back(static_cast<char>((crc >> shift) & 0xff));
  png.insert(33, actl);  // after the signature and IHDR
  const json image = upload(png, "animated.png");
  auto result = client().Get(("/api/images/" + image.at("id").get<std::string>() + "/result?k=8").c_str());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const json stats = json::parse(result->body);
  ASSERT_TRUE(stats.contains("notices")) << result->body;
  EXPECT_EQ(stats.at("notices").at(0), "holds 2 more frames: only the first is compressed");
}

TEST_F(serve_test, EveryDownloadRenders) {
  start();
  const json image = upload(read_bytes(source_dir() / "sample_images/coffee.png"), "coffee.png");
  const std::string base = "/api/images/" + image.at("id").get<std::string>() + "/download/";
  for (const std::string what : {"gpl", "palette.json", "palette.png", "labels.png", "report.html"}) {
    auto res = client().Get((base + what + "?k=8").c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << what << ": " << res->body;
    EXPECT_GT(res->body.size(), 20u) << what;
    EXPECT_NE(res->get_header_value("Content-Disposition").find("coffee"), std::string::npos) << what;
  }
  auto gpl = client().Get((base + "gpl?k=8").c_str());
  EXPECT_EQ(gpl->body.rfind("GIMP Palette", 0), 0u);
  EXPECT_EQ(json::parse(client().Get((base + "palette.json?k=8").c_str())->body).at("colors").size(), 8u);
  auto report = client().Get((base + "report.html?k=8").c_str());
  EXPECT_NE(report->body.find("<!DOCTYPE html>"), std::string::npos);
  // The report's inline code is allowed; nothing from outside is.
  const std::string policy = report->get_header_value("Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("http"), std::string::npos) << policy;
  expect_error(client().Get((base + "nothing?k=8").c_str()), 404, "not_found");
  // A name in another script keeps its letters (RFC 8187), with an ASCII fallback.
  const json named = upload(read_bytes(source_dir() / "sample_images/coffee.png"), "фото ü.png");
  auto png = client().Get(("/api/images/" + named.at("id").get<std::string>() + "/download/png?k=8").c_str());
  ASSERT_TRUE(png);
  const std::string disposition = png->get_header_value("Content-Disposition");
  EXPECT_NE(disposition.find("filename=\"______.png\""), std::string::npos) << disposition;
  // (httplib's client decodes the percent-encoding of header values it reads.)
  EXPECT_NE(disposition.find("filename*=UTF-8''фото_ü.png"), std::string::npos) << disposition;
}

TEST_F(serve_test, ZipHoldsEveryImageByteIdentical) {
  start();
  std::vector<std::string> ids;
  for (const std::string& name : {"sample_images/coffee.png", "sample_images/chelsea.png", "sample_images/coffee.png"}) {
    ids.push_back(upload(read_bytes(source_dir() / name), fs::path(name).filename().string()).at("id"));
  }
  auto res = client().Get(("/api/zip?k=12&ids=" + ids[0] + "," + ids[1] + "," + ids[2]).c_str());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/zip");
  zip_t* archive = open_zip(res->body);
  ASSERT_NE(archive, nullptr);
  ASSERT_EQ(zip_get_num_entries(archive, 0), 3);
  const std::vector<std::string> names = {"coffee.png", "chelsea.png", "coffee-2.png"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    zip_stat_t st;
    ASSERT_EQ(zip_stat(archive, names[i].c_str(), 0, &st), 0) << names[i];
    std::string bytes(st.size, '\0');
    zip_file_t* file = zip_fopen(archive, names[i].c_str(), 0);
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(zip_fread(file, bytes.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    auto single = client().Get(("/api/images/" + ids[i] + "/download/png?k=12").c_str());
    EXPECT_TRUE(single->body == bytes) << names[i];
  }
  zip_close(archive);
}

// Each image once however often it is named; an id no longer stored is a 404
// naming it (and only it), so that the page can drop it and ask again.
TEST_F(serve_test, ZipNamesEachImageOnceAndTheMissingOnesById) {
  start();
  const std::string id = upload(read_bytes(source_dir() / "sample_images/coffee.png"), "coffee.png").at("id");
  auto res = client().Get(("/api/zip?k=8&ids=" + id + "," + id + "," + id).c_str());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  zip_t* archive = open_zip(res->body);
  ASSERT_NE(archive, nullptr);
  EXPECT_EQ(zip_get_num_entries(archive, 0), 1);
  zip_close(archive);
  const std::string missing = "0000000000000000-0000000000000001";
  res = client().Get(("/api/zip?k=8&ids=" + id + "," + missing).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  const nlohmann::json answer = nlohmann::json::parse(res->body);
  EXPECT_EQ(answer.at("kind"), "unknown_image");
  EXPECT_EQ(answer.at("ids"), nlohmann::json::array({missing}));
  EXPECT_NE(answer.at("error").get<std::string>().find("1 of the 2 images"), std::string::npos) << res->body;
}
