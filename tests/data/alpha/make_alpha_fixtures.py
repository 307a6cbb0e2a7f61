#!/usr/bin/python3
"""Writes the alpha fixtures of test_image_decode_alpha (AlphaFixtures*): one small
RGBA picture (and a grey+alpha one) saved by Pillow in every format kmq reads
that can carry alpha, so that the decoder's alpha is checked against another
implementation, not only against itself.

    cd tests/data/alpha && /usr/bin/python3 make_alpha_fixtures.py

Pillow 9.4 (Debian 12 python3-pil). What Pillow cannot write is not here: RGBA
with 16-bit samples (no such mode), TIFF with associated (premultiplied) alpha
("RGBa" cannot be saved), tiled or planar TIFF; test_image_decode_tiff crafts those
byte by byte. BMP: Pillow writes RGBA as 32-bit BI_RGB with a 40-byte header,
where the fourth byte is not alpha by the format (Pillow itself reads the file
back as opaque RGB), so the script also writes a BITMAPV4HEADER with an alpha
mask by hand, which Pillow reads back as RGBA.
"""
import struct

from PIL import Image

# 5x2, row-major: alpha 0, 1, 128, 254 and 255 with colours that differ in
# every channel. (255,255,255,128) is the case: premultiplied by the
# old TIFF path it came out (128,128,128,128).
RGBA = [
    (255, 255, 255, 128), (200, 100, 50, 0), (10, 20, 30, 1), (255, 0, 128, 254), (17, 34, 51, 255),
    (0, 0, 0, 128), (123, 45, 67, 1), (1, 2, 3, 200), (250, 251, 252, 64), (99, 180, 7, 0),
]
LA = [(255, 128), (200, 0), (10, 1), (128, 254), (17, 255), (0, 128), (123, 1), (1, 200), (250, 64), (99, 0)]
W, H = 5, 2


def rgba_image():
    im = Image.new("RGBA", (W, H))
    im.putdata(RGBA)
    return im


def la_image():
    im = Image.new("LA", (W, H))
    im.putdata(LA)
    return im


def bmp_v4_rgba(path):
    """32-bit BI_BITFIELDS BMP with a BITMAPV4HEADER and an alpha mask, bottom-up."""
    rows = b""
    for y in reversed(range(H)):
        for r, g, b, a in RGBA[y * W:(y + 1) * W]:
            rows += bytes((b, g, r, a))
    header = struct.pack("<IiiHHIIiiII", 108, W, H, 1, 32, 3, len(rows), 2835, 2835, 0, 0)
    header += struct.pack("<IIII", 0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)  # R, G, B, A masks
    header += b"sRGB"[::-1] + bytes(36) + bytes(12)  # LCS_sRGB, endpoints, gamma
    assert len(header) == 108
    offset = 14 + len(header)
    with open(path, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset) + header + rows)


# A grey PNG whose tRNS makes one grey level transparent (colour type 0 with
# a key): the grey levels of LA, the key the level of two of its pixels.
GREY_KEY = 200


def grey_with_key():
    im = Image.new("L", (W, H))
    im.putdata([g if i not in (1, 7) else GREY_KEY for i, (g, _) in enumerate(LA)])
    return im


def main():
    rgba = rgba_image()
    rgba.save("rgba.png")
    rgba.save("rgba.tif", compression="raw")
    rgba.save("rgba-lzw.tif", compression="tiff_lzw")
    rgba.save("rgba-deflate.tif", compression="tiff_adobe_deflate")
    rgba.save("rgba-lossless.webp", lossless=True, exact=True)
    rgba.save("rgba-bi-rgb.bmp")
    bmp_v4_rgba("rgba-v4.bmp")
    la = la_image()
    la.save("la.png")
    la.save("la.tif", compression="raw")
    la.save("la-lzw.tif", compression="tiff_lzw")
    grey_with_key().save("grey-trns.png", transparency=GREY_KEY)

    # Pillow reads its own files back as written (alpha straight, colour kept
    # under alpha 0), except the BI_RGB BMP, which it reads as opaque RGB.
    for name in ("rgba.png", "rgba.tif", "rgba-lzw.tif", "rgba-deflate.tif", "rgba-lossless.webp", "rgba-v4.bmp"):
        back = Image.open(name)
        assert back.mode == "RGBA" and list(back.getdata()) == RGBA, (name, back.mode, list(back.getdata()))
    back = Image.open("rgba-bi-rgb.bmp")
    assert back.mode == "RGB" and list(back.getdata()) == [p[:3] for p in RGBA], back.mode
    for name in ("la.png", "la.tif", "la-lzw.tif"):
        back = Image.open(name)
        assert back.mode == "LA" and list(back.getdata()) == LA, (name, back.mode, list(back.getdata()))
    back = Image.open("grey-trns.png")
    assert back.info["transparency"] == GREY_KEY, back.info
    want = [(g, g, g, 0 if g == GREY_KEY else 255) for g in grey_with_key().getdata()]
    assert list(back.convert("RGBA").getdata()) == want, list(back.convert("RGBA").getdata())


if __name__ == "__main__":
    main()
