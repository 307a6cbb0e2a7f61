// ICC colour profiles: read from every input format that embeds one, carried
// into the palette PNG as iCCP, and dropped, never an error, when malformed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "image_fixtures.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

fs::path source_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return fs::path(root);
  return fs::path(__FILE__).parent_path().parent_path();
}

fs::path icc_dir() { return source_dir() / "tests" / "data" / "icc"; }

bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// tests/data/icc/profile.icc: Little CMS's sRGB, 588 bytes (make_icc_fixtures.py).
const bytes& test_profile() {
  static const bytes profile = read_bytes(icc_dir() / "profile.icc");
  return profile;
}

decoded_image decode(const bytes& file, const std::string& name = "memory") {
  return image_decoder().decode_bytes(file, name);
}

// Where needle first occurs in haystack; fails the test when nowhere.
std::size_t find(const bytes& haystack, const bytes& needle) {
  const auto at = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end());
  EXPECT_NE(at, haystack.end()) << "not found";
  return static_cast<std::size_t>(at - haystack.begin());
}

// --- reading ------------------------------------------------------------------

TEST(IccProfile, FixtureProfileIsARealOne) {
  ASSERT_EQ(test_profile().size(), 588u);
  EXPECT_EQ(std::string(test_profile().begin() + 36, test_profile().begin() + 40), "acsp");
}

TEST(IccProfile, EveryFormatGivesTheEmbeddedBytesExactly) {
  // icc.tif has no alpha (OpenCV decodes it), icc-rgba.tif has (libtiff does).
  for (const char* name : {"icc.jpg", "icc.png", "icc.webp", "icc.tif", "icc-rgba.tif"}) {
    SCOPED_TRACE(name);
    const decoded_image image = image_decoder().decode_file((icc_dir() / name).string());
    EXPECT_EQ(image.width, 8u);
    EXPECT_EQ(image.height, 6u);
    EXPECT_EQ(image.icc_profile, test_profile());
  }
}

TEST(IccProfile, FilesWithoutOneHaveNone) {
  const cv::Mat picture = noise_bgr(8, 8);
  for (const char* ext : {".jpg", ".png", ".webp", ".tiff", ".bmp"}) {
    SCOPED_TRACE(ext);
    EXPECT_TRUE(decode(encode(ext, picture)).icc_profile.empty());
  }
}

// A profile whose header gives another size than it has is incomplete: the
// image decodes, without a profile.
TEST(IccProfile, AProfileThatDisagreesWithItsHeaderIsDropped) {
  for (const char* name : {"icc.jpg", "icc.webp", "icc.tif", "icc-rgba.tif"}) {  // stored uncompressed in these
    SCOPED_TRACE(name);
    bytes file = read_bytes(icc_dir() / name);
    const std::size_t at = find(file, test_profile());
    file[at + 3] ^= 1;  // the low byte of the size field
    const decoded_image image = decode(file);
    EXPECT_EQ(image.width, 8u);
    EXPECT_TRUE(image.icc_profile.empty());
  }
}

// APP2 segments "ICC_PROFILE\0", sequence number, count, a piece of the profile.
bytes app2(const bytes& piece, int sequence, int count) {
  const std::size_t length = 2 + 12 + 2 + piece.size();
  bytes segment = {0xFF, 0xE2, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 255)};
  const char* signature = "ICC_PROFILE";
  segment.insert(segment.end(), signature, signature + 12);  // with its NUL
  segment.push_back(static_cast<std::uint8_t>(sequence));
  segment.push_back(static_cast<std::uint8_t>(count));
  segment.insert(segment.end(), piece.begin(), piece.end());
  return segment;
}

// A plain JPEG with the segments inserted right after SOI.
bytes jpeg_with(const std::vector<bytes>& segments) {
  bytes jpeg = encode(".jpg", noise_bgr(8, 8));
  std::size_t at = 2;
  for (const bytes& s : segments) {
    jpeg.insert(jpeg.begin() + static_cast<std::ptrdiff_t>(at), s.begin(), s.end());
    at += s.size();
  }
  return jpeg;
}

TEST(IccProfile, JpegPiecesAreJoinedBySequenceNumber) {
  const bytes& p = test_profile();
  const bytes one(p.begin(), p.begin() + 200), two(p.begin() + 200, p.begin() + 400), three(p.begin() + 400, p.end());
  EXPECT_EQ(decode(jpeg_with({app2(three, 3, 3), app2(one, 1, 3), app2(two, 2, 3)})).icc_profile, p);
  EXPECT_EQ(decode(jpeg_with({app2(p, 1, 1)})).icc_profile, p);
}

TEST(IccProfile, JpegWithAMissingOrRepeatedPieceHasNone) {
  const bytes& p = test_profile();
  const bytes one(p.begin(), p.begin() + 300), two(p.begin() + 300, p.end());
  for (const auto& segments : std::vector<std::vector<bytes>>{
           {app2(one, 1, 2)},                                   // piece 2 missing
           {app2(one, 1, 2), app2(one, 1, 2), app2(two, 2, 2)},  // piece 1 twice
           {app2(one, 1, 2), app2(two, 2, 3)},                  // counts disagree
           {app2(one, 0, 2), app2(two, 2, 2)},                  // no piece 0
           {app2(one, 1, 1), app2(two, 2, 1)}}) {               // past the count
    const decoded_image image = decode(jpeg_with(segments));
    EXPECT_EQ(image.width, 8u);
    EXPECT_TRUE(image.icc_profile.empty());
  }
}

bytes deflated(const bytes& data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  bytes out(size);
  EXPECT_EQ(compress(out.data(), &size, data.data(), static_cast<uLong>(data.size())), Z_OK);
  out.resize(size);
  return out;
}

bytes inflated(const bytes& data, std::size_t size) {
  bytes out(size + 1);
  uLongf got = static_cast<uLongf>(out.size());
  EXPECT_EQ(uncompress(out.data(), &got, data.data(), static_cast<uLong>(data.size())), Z_OK);
  out.resize(got);
  return out;
}

// A plain PNG with an iCCP chunk (name, NUL, method 0, zlib data) after IHDR.
bytes png_with_iccp(const bytes& zlib_data, bool good_crc = true) {
  bytes png = encode(".png", noise_bgr(8, 8));
  bytes chunk;
  bytes body = {'a', 'n', 'y', 0, 0};
  body.insert(body.end(), zlib_data.begin(), zlib_data.end());
  put_png_chunk(chunk, "iCCP", body);
  if (!good_crc) chunk.back() ^= 1;
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());  // signature 8 + IHDR 25
  return png;
}

TEST(IccProfile, PngIccpIsInflatedAndChecked) {
  const bytes z = deflated(test_profile());
  EXPECT_EQ(decode(png_with_iccp(z)).icc_profile, test_profile());
  EXPECT_TRUE(decode(png_with_iccp(z, /*good_crc=*/false)).icc_profile.empty());
  EXPECT_TRUE(decode(png_with_iccp(bytes(z.begin(), z.end() - 8))).icc_profile.empty()) << "zlib stream cut short";
  bytes wrong = test_profile();
  wrong[2] ^= 1;
  EXPECT_TRUE(decode(png_with_iccp(deflated(wrong))).icc_profile.empty()) << "size field disagrees";
  EXPECT_EQ(decode(png_with_iccp(z)).width, 8u);
}

// --- writing ------------------------------------------------------------------

struct png_chunk {
  std::string type;
  bytes data;
};

std::vector<png_chunk> chunks_of(const bytes& png) {
  std::vector<png_chunk> chunks;
  std::size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const std::size_t length = std::size_t{png[pos]} << 24 | png[pos + 1] << 16 | png[pos + 2] << 8 | png[pos + 3];
    if (pos + 12 + length > png.size()) break;
    chunks.push_back({std::string(png.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                                  png.begin() + static_cast<std::ptrdiff_t>(pos + 8)),
                      bytes(png.begin() + static_cast<std::ptrdiff_t>(pos + 8),
                            png.begin() + static_cast<std::ptrdiff_t>(pos + 8 + length))});
    pos += 12 + length;
  }
  EXPECT_EQ(pos, png.size());
  return chunks;
}

std::string chunk_types(const bytes& png) {
  std::string types;
  for (const png_chunk& c : chunks_of(png)) types += (types.empty() ? "" : " ") + c.type;
  return types;
}

const std::vector<packed_rgba> palette = {pack_rgba(255, 0, 0, 255), pack_rgba(0, 255, 0, 128), pack_rgba(0, 0, 255, 0),
                                          pack_rgba(9, 9, 9, 255)};
const std::vector<std::uint8_t> indices = {0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1};

TEST(IccProfile, EncoderWritesItAsIccp) {
  const bytes png = encode_palette_png(palette, indices, 4, 3, 6, png_metadata{test_profile()});
  EXPECT_EQ(chunk_types(png), "IHDR iCCP PLTE tRNS IDAT IEND") << "iCCP alone: no sRGB, gAMA or cHRM";
  const png_chunk iccp = chunks_of(png)[1];
  const std::string name = "ICC profile";
  ASSERT_GT(iccp.data.size(), name.size() + 2);
  EXPECT_EQ(std::string(iccp.data.begin(), iccp.data.begin() + static_cast<std::ptrdiff_t>(name.size())), name);
  EXPECT_EQ(iccp.data[name.size()], 0);
  EXPECT_EQ(iccp.data[name.size() + 1], 0) << "compression method: zlib";
  EXPECT_EQ(inflated(bytes(iccp.data.begin() + static_cast<std::ptrdiff_t>(name.size() + 2), iccp.data.end()),
                     test_profile().size()),
            test_profile());

  // Read back: the same pixels and the same profile.
  const decoded_image back = decode(png);
  EXPECT_EQ(back.icc_profile, test_profile());
  ASSERT_EQ(back.pixels.size(), indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(back.pixels[i], palette[indices[i]]) << i;
}

// libpng checks a profile before it writes it; one it refuses is left out and
// the PNG is the one written without a profile, not an error.
TEST(IccProfile, AProfileLibpngRefusesIsLeftOut) {
  const bytes plain = encode_palette_png(palette, indices, 4, 3, 6);
  bytes gray = test_profile();
  std::copy_n("GRAY", 4, gray.begin() + 16);  // a grey profile cannot describe an RGB palette
  bytes garbage(300, 0x5a);
  bytes cut(test_profile().begin(), test_profile().begin() + 100);
  for (const bytes& profile : {gray, garbage, cut}) {
    bytes png;
    ASSERT_NO_THROW(png = encode_palette_png(palette, indices, 4, 3, 6, png_metadata{profile}));
    EXPECT_EQ(png, plain) << chunk_types(png);
  }
}

// The sample photographs' profiles (sRGB ones that libpng knows, one of them
// as "known incorrect") still go through.
TEST(IccProfile, SampleImageProfileRoundTrips) {
  const decoded_image astronaut = image_decoder().decode_file((source_dir() / "sample_images" / "astronaut.png").string());
  ASSERT_EQ(astronaut.icc_profile.size(), 3144u);
  const bytes png = encode_palette_png(palette, indices, 4, 3, 6, png_metadata{astronaut.icc_profile});
  EXPECT_EQ(decode(png).icc_profile, astronaut.icc_profile) << chunk_types(png);
}

// A PNG's sRGB, gAMA and cHRM go into the output where there is no profile
// (an input of gamma 1.0 without them shows darker in every browser): sRGB
// alone where there is one, else gAMA and cHRM; beside iCCP nothing.
TEST(ColourChunks, WrittenWhereThereIsNoProfileAndReadBack) {
  const bytes plain = encode_palette_png(palette, indices, 4, 3, 6);
  png_metadata m;
  EXPECT_EQ(encode_palette_png(palette, indices, 4, 3, 6, m), plain) << "none: the same bytes";
  m.colour_chunks.gamma = 100000;
  bytes png = encode_palette_png(palette, indices, 4, 3, 6, m);
  EXPECT_EQ(chunk_types(png), "IHDR gAMA PLTE tRNS IDAT IEND");
  EXPECT_EQ(decode(png).colour_chunks.gamma, 100000u);
  m.colour_chunks.has_chromaticities = true;
  const std::uint32_t chrm[8] = {31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000};
  std::copy(chrm, chrm + 8, m.colour_chunks.chromaticities);
  png = encode_palette_png(palette, indices, 4, 3, 6, m);
  EXPECT_EQ(chunk_types(png), "IHDR gAMA cHRM PLTE tRNS IDAT IEND");
  const png_colour_chunks back = decode(png).colour_chunks;
  EXPECT_TRUE(back.has_chromaticities);
  EXPECT_TRUE(std::equal(chrm, chrm + 8, back.chromaticities));
  EXPECT_EQ(back.srgb_intent, -1);
  m.colour_chunks.srgb_intent = 1;
  png = encode_palette_png(palette, indices, 4, 3, 6, m);
  EXPECT_EQ(chunk_types(png), "IHDR sRGB PLTE tRNS IDAT IEND") << "sRGB says it all";
  EXPECT_EQ(decode(png).colour_chunks.srgb_intent, 1);
  m.icc_profile = test_profile();
  EXPECT_EQ(chunk_types(encode_palette_png(palette, indices, 4, 3, 6, m)), "IHDR iCCP PLTE tRNS IDAT IEND")
      << "a profile alone: readers prefer it, and sRGB may not stand beside it";
}

TEST(ColourChunks, AbsurdOrDamagedOnesAreLeftOutNeverThePng) {
  png_metadata m;
  m.colour_chunks.gamma = 1;  // gamma 0.00001: libpng refuses it
  bytes png;
  ASSERT_NO_THROW(png = encode_palette_png(palette, indices, 4, 3, 6, m));
  EXPECT_EQ(decode(png).pixels.size(), indices.size());
  m.colour_chunks.gamma = 100000;
  png = encode_palette_png(palette, indices, 4, 3, 6, m);
  ASSERT_EQ(chunks_of(png)[1].type, "gAMA");
  png[33 + 12 - 1] ^= 0xff;  // the gAMA chunk's CRC
  const decoded_image damaged = decode(png);
  EXPECT_EQ(damaged.colour_chunks.gamma, 0u) << "a chunk that fails its CRC is left out, as libpng leaves it";
  EXPECT_EQ(damaged.pixels.size(), indices.size());
}

// libpng marks the whole colour space invalid on one chunk it refuses: the
// others are still written (a fresh writer without the refused one).
TEST(ColourChunks, ARefusedOneTakesNoOtherWithIt) {
  png_metadata m;
  m.colour_chunks.gamma = 100000;
  m.colour_chunks.has_chromaticities = true;  // all zero: no colour space
  EXPECT_EQ(chunk_types(encode_palette_png(palette, indices, 4, 3, 6, m)), "IHDR gAMA PLTE tRNS IDAT IEND");
  m.colour_chunks.has_chromaticities = false;
  m.icc_profile = test_profile();
  std::copy_n("GRAY", 4, m.icc_profile.begin() + 16);  // refused for an RGB palette
  EXPECT_EQ(chunk_types(encode_palette_png(palette, indices, 4, 3, 6, m)), "IHDR gAMA PLTE tRNS IDAT IEND")
      << "the colour chunks stand in for a refused profile";
}

// The chunk of type at `at` (an index into chunks_of) inserted before it.
bytes with_chunk(const bytes& png, std::size_t at, const std::string& type, const bytes& data) {
  std::size_t pos = 8;
  for (std::size_t i = 0; i < at; ++i) pos += 12 + chunks_of(png)[i].data.size();
  bytes chunk = {0, 0, 0, static_cast<std::uint8_t>(data.size())};
  chunk.insert(chunk.end(), type.begin(), type.end());
  chunk.insert(chunk.end(), data.begin(), data.end());
  const uLong crc = crc32(0, chunk.data() + 4, static_cast<uInt>(4 + data.size()));
  for (int shift = 24; shift >= 0; shift -= 8) chunk.push_back(static_cast<std::uint8_t>(crc >> shift));
  bytes out = png;
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), chunk.begin(), chunk.end());
  return out;
}

// Read as libpng reads them: the first of each kind counts; after PLTE they
// are out of place and ignored.
TEST(ColourChunks, TheFirstCountsAndNoneAfterThePalette) {
  const bytes plain = encode_palette_png(palette, indices, 4, 3, 6);  // IHDR PLTE tRNS IDAT IEND
  const bytes linear = with_chunk(plain, 1, "gAMA", {0, 1, 0x86, 0xa0});
  ASSERT_EQ(chunk_types(linear), "IHDR gAMA PLTE tRNS IDAT IEND");
  EXPECT_EQ(decode(linear).colour_chunks.gamma, 100000u);
  EXPECT_EQ(decode(with_chunk(linear, 2, "gAMA", {0, 0, 0xb1, 0x8f})).colour_chunks.gamma, 100000u) << "a second gAMA";
  EXPECT_EQ(decode(with_chunk(plain, 2, "gAMA", {0, 1, 0x86, 0xa0})).colour_chunks.gamma, 0u) << "after PLTE";
  EXPECT_EQ(decode(with_chunk(plain, 2, "sRGB", {0})).colour_chunks.srgb_intent, -1) << "after PLTE";
  EXPECT_EQ(decode(with_chunk(plain, 1, "sRGB", {2})).colour_chunks.srgb_intent, 2);
}

}  // namespace
}  // namespace kmq::io
