#!/usr/bin/python3
"""Makes the seed corpus of tests/fuzz (fuzz_decode_quantize): small valid and
broken files of every format kmq reads or names (PNG, JPEG, WebP, TIFF with and
without alpha, BMP, GIF), truncated copies and crafted bad headers.

Every file is the fuzz input format of tests/fuzz/fuzz_job.hpp: 4 option bytes
(K, flags, max-iter, seed), then the image file. Needs Pillow (python3-pil);
run from anywhere: /usr/bin/python3 tests/fuzz/make_fuzz_corpus.py
"""
import io
import os
import struct
import zlib

from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz_corpus")
DATA = os.path.join(HERE, "..", "data")
files = {}


def picture(w=19, h=13, mode="RGBA"):
    im = Image.new("RGBA", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            a = 255 if (x + y) % 5 else (0 if x % 2 else 128)
            px[x, y] = ((x * 37 + y * 11) % 256, (y * 29 + x * x) % 256, (x * y * 7) % 256, a)
    return im.convert(mode) if mode != "RGBA" else im


def save(name, im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    files[name] = buf.getvalue()


# PNG: every colour type, 16 bits, Adam7, palette with tRNS, 1 bit.
save("png-rgb.png", picture(mode="RGB"), "PNG")
save("png-rgba.png", picture(), "PNG")
save("png-gray.png", picture(mode="L"), "PNG")
save("png-gray-alpha.png", picture(mode="LA"), "PNG")
save("png-gray16.png", picture(mode="L").convert("I;16"), "PNG")
save("png-palette-trns.png", picture().convert("P"), "PNG", transparency=0)
save("png-1bit.png", picture(mode="1"), "PNG")
save("png-interlaced.png", picture(mode="RGB"), "PNG", interlace=1)
# JPEG: baseline, progressive, grey, 4:2:0 and 4:4:4, EXIF orientation 6.
save("jpeg-baseline.jpg", picture(32, 24, "RGB"), "JPEG", quality=80)
save("jpeg-progressive.jpg", picture(32, 24, "RGB"), "JPEG", quality=60, progressive=True)
save("jpeg-gray.jpg", picture(16, 16, "L"), "JPEG")
save("jpeg-444.jpg", picture(17, 9, "RGB"), "JPEG", subsampling=0)
exif = Image.Exif()
exif[0x0112] = 6
save("jpeg-exif-rotated.jpg", picture(16, 8, "RGB"), "JPEG", exif=exif.tobytes())
# WebP: lossy, lossless with alpha, animated (two frames).
save("webp-lossy.webp", picture(mode="RGB"), "WEBP", quality=50)
save("webp-lossless-alpha.webp", picture(), "WEBP", lossless=True)
save("webp-animated.webp", picture(), "WEBP", save_all=True,
     append_images=[picture().transpose(Image.FLIP_LEFT_RIGHT)], duration=50, lossless=True)
# TIFF (all read by libtiff): RGB with LZW and PackBits, grey, 16-bit grey,
# two pages, RGBA.
save("tiff-rgb-lzw.tif", picture(mode="RGB"), "TIFF", compression="tiff_lzw")
save("tiff-rgb-packbits.tif", picture(mode="RGB"), "TIFF", compression="packbits")
save("tiff-gray.tif", picture(mode="L"), "TIFF")
save("tiff-gray16.tif", picture(mode="L").convert("I;16"), "TIFF")
save("tiff-two-pages.tif", picture(mode="RGB"), "TIFF", save_all=True, append_images=[picture(7, 5, "RGB")])
save("tiff-rgba-deflate.tif", picture(), "TIFF", compression="tiff_adobe_deflate")
save("tiff-cmyk.tif", picture(mode="CMYK"), "TIFF")
# Through libtiff's RGBA interface: a palette and 1-bit grey.
save("tiff-palette-lzw.tif", picture(mode="RGB").convert("P", palette=Image.ADAPTIVE, colors=16), "TIFF",
     compression="tiff_lzw")
save("tiff-bilevel.tif", picture(mode="L").convert("1"), "TIFF")
# BMP: 24-bit, 8-bit palette, 1-bit; GIF (refused by name).
save("bmp-24.bmp", picture(mode="RGB"), "BMP")
save("bmp-8.bmp", picture().convert("P"), "BMP")
save("bmp-1.bmp", picture(mode="1"), "BMP")
save("gif.gif", picture().convert("P"), "GIF")

# Fixtures the tests already use: CMYK/YCCK JPEG, every alpha layout, ICC profiles.
for sub, names in [("", ["cmyk.jpg", "ycck.jpg"]),
                   ("alpha", ["la-lzw.tif", "la.png", "rgba-bi-rgb.bmp", "rgba-v4.bmp", "rgba-lossless.webp",
                              "rgba-lzw.tif", "rgba.tif"]),
                   ("icc", ["icc.jpg", "icc.png", "icc.webp", "icc.tif", "icc-rgba.tif"]),
                   ("bmp", ["rle8.bmp", "rle4.bmp", "rgb565-v3.bmp", "argb4444-v5.bmp", "pal8-os2.bmp", "xrgb-v5.bmp",
                            "pal4.bmp"]),
                   ("exif", ["orient-6.png"])]:
    for n in names:
        with open(os.path.join(DATA, sub, n), "rb") as f:
            files["fixture-" + (sub + "-" if sub else "") + n] = f.read()

# Broken: cut short at half and at a few bytes past the header.
valid = dict(files)
for name, data in sorted(valid.items()):
    if name.startswith("fixture-"):
        continue
    files["truncated-half-" + name] = data[: len(data) // 2]
for name in ["png-rgb.png", "jpeg-baseline.jpg", "webp-lossy.webp", "tiff-rgb-lzw.tif", "bmp-24.bmp"]:
    files["truncated-40-" + name] = valid[name][:40]


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


sig = b"\x89PNG\r\n\x1a\n"
idat = png_chunk(b"IDAT", zlib.compress(b"\x00" + b"\x10\x20\x30" * 4))
files["bad-png-huge.png"] = sig + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)) + idat + png_chunk(b"IEND", b"")
files["bad-png-zero-width.png"] = sig + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 1, 8, 2, 0, 0, 0)) + idat + png_chunk(b"IEND", b"")
files["bad-png-bad-depth.png"] = sig + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 1, 7, 2, 0, 0, 0)) + idat + png_chunk(b"IEND", b"")
ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 1, 8, 2, 0, 0, 0))
files["bad-png-crc.png"] = sig + ihdr[:-1] + b"\x00" + idat + png_chunk(b"IEND", b"")
files["bad-png-short-idat.png"] = sig + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)) + idat + png_chunk(b"IEND", b"")
files["bad-png-palette-no-plte.png"] = sig + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 1, 8, 3, 0, 0, 0)) + idat + png_chunk(b"IEND", b"")
jpg = bytearray(valid["jpeg-baseline.jpg"])
sof = jpg.find(b"\xff\xc0")
zero = bytearray(jpg)
zero[sof + 5:sof + 9] = b"\x00\x00\x00\x00"
files["bad-jpeg-sof-zero.jpg"] = bytes(zero)
huge = bytearray(jpg)
huge[sof + 5:sof + 9] = b"\xff\xff\xff\xff"
files["bad-jpeg-sof-huge.jpg"] = bytes(huge)
files["bad-jpeg-no-eoi.jpg"] = bytes(jpg[:-2])
files["bad-jpeg-soi-only.jpg"] = b"\xff\xd8\xff"
bmp = bytearray(valid["bmp-24.bmp"])
neg = bytearray(bmp)
neg[22:26] = struct.pack("<i", -2147483647)
files["bad-bmp-height.bmp"] = bytes(neg)
off = bytearray(bmp)
off[10:14] = struct.pack("<I", 0x7FFFFFF0)
files["bad-bmp-offset.bmp"] = bytes(off)
tif = bytearray(valid["tiff-rgb-lzw.tif"])
ifd = bytearray(tif)
ifd[4:8] = struct.pack("<I", 0xFFFFFF00)
files["bad-tiff-ifd-offset.tif"] = bytes(ifd)
files["bad-tiff-header-only.tif"] = b"II*\x00\x08\x00\x00\x00"
wp = bytearray(valid["webp-lossy.webp"])
wp[4:8] = struct.pack("<I", 0xFFFFFFF0)
files["bad-webp-riff-size.webp"] = bytes(wp)
files["empty"] = b""
files["not-an-image.txt"] = b"this is not an image at all, just text\n" * 2

out = HERE
for f in os.listdir(out):
    if f.startswith("c-"):
        os.remove(os.path.join(out, f))
for name, data in sorted(files.items()):
    # K 1..16, varied flags and max-iter and seed, from the name (so that a
    # file added later changes no other file's prefix).
    i = zlib.crc32(name.encode())
    prefix = bytes([(i * 7 + 3) % 256, (i * 53) % 256, (i * 3 + 4) % 256, i % 256])
    with open(os.path.join(out, "c-" + name), "wb") as f:
        f.write(prefix + data)
print(len(files), "files,", sum(len(d) + 4 for d in files.values()), "bytes")
