// Which revision of kmq's output bytes this build makes. Every change that
// alters an output byte for the same input and settings (a better refinement,
// a new encoder, another rounding) raises it by one in the same commit.
// kmq batch puts it in the settings its manifest records, so a run resumed
// by a newer kmq makes again the outputs an older one made rather than
// keeping them; tests/golden/check_sample_hashes.sh refuses new sample hashes
// under an unchanged revision, which is what keeps it honest.
#pragma once

namespace kmq {

// 12: the twelfth set of sample hashes (tests/golden/sample_hashes.sha256).
// 13: the swap step's wider neighbourhood at k >= 160 (every K=256 output).
// 14: that neighbourhood from k = 80 (k/16 clusters, 8 from k = 128).
// 15: three seedings for opaque images of at most 4 MP at 32 < k <= 64 where
//     the clustering is at most 8 colour-centroid pairs a pixel
//     (seedings_work_per_pixel).
// 16: K = 1 on an image with alpha: the composited mean, not an entry of the
//     alpha rule (one_entry_palette in quantize.cpp).
// 17: --quality, --level and --elbow on an image with alpha judge each K by
//     the composited error the result reports (quantize_result::mse), not
//     by the rounded premultiplied one: the K chosen can differ by one; and
//     a target far above K = 16's PSNR no longer steps through every K.
// 18: decoding as Chromium and libtiff read the files: a JPEG's EXIF
//     orientation after an XMP segment, CMYK and YCCK rounded as Skia does;
//     TIFFs through libtiff alone (a palette's alpha kept, 2- and 4-bit
//     grey and palettes read, corrupt strips refused). Same sample hashes.
// 19: one seeding, not three, at k <= 32 for an image of more than 2^20
//     distinct colours (seedings_max_colors: noise-like images, whose
//     clustering is nearly all their time). Same sample hashes.
// 20: at the default PNG level 6, rows that compress below 1/25 of their
//     bytes are compressed at level 9 too and the smaller kept (screenshots,
//     charts, gradients: 15-30 % smaller). Same sample hashes.
// 21: --quality and --level extrapolate above their failing K along the
//     curve's own slope (the line through the last two failing K): fewer
//     palettes built, the same K wherever the error falls with K, another
//     where it does not. Same sample hashes.
// 22: at the default PNG level 6, rows that compress below 1/6 of their
//     bytes are compressed at level 3 (libdeflate's greedy parser) too and
//     the smaller kept (pixel art scaled up: 12-30 % smaller). Same sample
//     hashes.
// 23: --dither fs attenuated as libimagequant's remapping is: 14/16 of the
//     arriving error, four fifths of an offset whose squared length exceeds
//     6 x the undithered MSE (half the MSE of full-strength FS on photos,
//     pngquant's; less low-frequency error). Undithered outputs unchanged.
// 24: --dither fs damps an offset whose squared length exceeds 6 x mse, as
//     documented (23 compared it with 6 x mse rounded up).
inline constexpr int output_revision = 24;

}  // namespace kmq
