#!/usr/bin/python3
"""Writes the BMP fixtures of test_bmp_decode (BmpFixtures*): BMPs of every
kind kmq reads, written byte by byte here, each beside NAME.expected.png, the
pixels kmq must give, which are Pillow's reading of the file (checked here)
except where the comments say Pillow cannot or does not read it so.

    cd tests/data/bmp && /usr/bin/python3 make_bmp_fixtures.py

Pillow 9.4 (Debian 12 python3-pil).
"""
import random
import struct

from PIL import Image

W, H = 13, 5  # a width that fills no byte or 32-bit word evenly at 1, 4, 16 and 24 bits
rng = random.Random(7)
RGBA = [[(rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(W)] for _ in range(H)]
PALETTE = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(256)]
INDEX = [[rng.randrange(256) for _ in range(W)] for _ in range(H)]


def file_of(header, extra, pixels):
    offset = 14 + len(header) + len(extra)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header + extra + pixels


def info_header(size, width, height, bpp, compression, image_bytes, colours=0, masks=()):
    h = struct.pack("<IiiHHIIiiII", size, width, height, 1, bpp, compression, image_bytes, 2835, 2835, colours, 0)
    for m in masks:
        h += struct.pack("<I", m)
    if size >= 108 and len(h) < 60:
        h += b"\0" * (56 - len(h))
    if size >= 108:
        h = h[:56] + b"BGRs"[::-1] + b"\0" * (size - 60)
    assert len(h) == size, (len(h), size)
    return h


def pad(row):
    return row + b"\0" * (-len(row) % 4)


def rows_of(pixel_bytes, bottom_up=True):
    order = reversed(range(H)) if bottom_up else range(H)
    return b"".join(pad(b"".join(pixel_bytes(x, y) for x in range(W))) for y in order)


def packed_rows(bpp, index, bottom_up=True):
    out = b""
    for y in (reversed(range(H)) if bottom_up else range(H)):
        bits = "".join(format(index[y][x], "0%db" % bpp) for x in range(W))
        bits += "0" * (-len(bits) % 8)
        out += pad(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return out


def palette_bytes(n, entry=4):
    return b"".join(bytes((b, g, r)) + (b"\0" if entry == 4 else b"") for r, g, b in PALETTE[:n])


def expected_palette(index, n):
    return [[PALETTE[i] + (255,) if i < n else (0, 0, 0, 255) for i in row] for row in index]


def save_expected(name, pixels, alpha):
    im = Image.new("RGBA", (W, H))
    im.putdata([p for row in pixels for p in row])
    (im if alpha else im.convert("RGB")).save(name + ".expected.png")


def check_pillow(name, pixels, alpha):
    im = Image.open(name)
    got = [list(im.convert("RGBA").getdata())[y * W:(y + 1) * W] for y in range(H)]
    want = [[tuple(p) for p in row] for row in pixels]
    assert got == want, (name, got[0][:3], want[0][:3])
    assert ("A" in im.mode) == alpha, (name, im.mode)


def write(name, data, pixels, alpha, pillow=True):
    with open(name, "wb") as f:
        f.write(data)
    if pillow:
        check_pillow(name, pixels, alpha)
    save_expected(name[:-4], pixels, alpha)


def widen(v, bits):
    return v * 255 // ((1 << bits) - 1)


def main():
    # Palettes: 1 and 4 bits (4 top-down, 6 colours used), 8 bits with an OS/2 core header.
    for bpp, used, bottom_up in ((1, 0, True), (4, 6, False)):
        n = used or (1 << bpp)
        # Indices within the colours used (Pillow fills the rest of a short palette
        # with a grey ramp; kmq with black).
        index = [[i % n for i in row] for row in INDEX]
        pixels = packed_rows(bpp, index, bottom_up)
        header = info_header(40, W, H if bottom_up else -H, bpp, 0, len(pixels), used)
        write("pal%d.bmp" % bpp, file_of(header, palette_bytes(n), pixels), expected_palette(index, n), False)
    pixels = packed_rows(8, INDEX)
    core = struct.pack("<IHHHH", 12, W, H, 1, 8)
    write("pal8-os2.bmp", file_of(core, palette_bytes(256, 3), pixels), expected_palette(INDEX, 256), False)

    # RLE8 and RLE4: runs, literal stretches (odd lengths padded to 16 bits),
    # a delta, end of line, end of bitmap; a run that passes the row's end
    # (ImageMagick's, over the row's padding) is clipped. Rows bottom-up.
    # Pillow 9.4 reads a delta's two bytes twice and drops the last nibble of
    # an odd RLE4 literal, so those files' pixels are the format's (the
    # comments above each command); a plain RLE8 file is checked by Pillow.
    def rle(rle4, delta, literal):
        want = [[0] * W for _ in range(H)]
        data = b""
        for y in range(H):  # stored order: y = 0 is the bottom row
            row = H - 1 - y
            if delta and y == 1:
                data += bytes((0, 2, 4, 1))  # delta: 4 right, 1 up; the rest of this row is skipped (entry 0)
                continue
            start = 4 if delta and y == 2 else 0  # the row after the delta goes on from x = 4
            if rle4:
                data += bytes((5, (3 << 4) | 5))  # 3, 5, 3, 5, 3
                vals = [(3, 5)[i % 2] for i in range(5)]
                lit = [(x * 7 + y) % 16 for x in range(literal)]
                nibbles = lit + [0] * (-len(lit) % 4)  # 2 per byte, padded to 16 bits
                data += bytes((0, literal)) + bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2))
                rest, colour = W - start - 5 - literal, (9, 10)
            else:
                data += bytes((4, 200))
                vals = [200] * 4
                lit = [(x * 31 + y * 5) % 256 for x in range(literal)]
                data += bytes((0, literal)) + bytes(lit) + b"\0" * (literal % 2)
                rest, colour = W - start - 4 - literal, (77, 77)
            vals += lit
            data += bytes((rest + 3, (colour[0] << 4) | colour[1] if rle4 else colour[0]))  # 3 past the row's end
            vals += [colour[i % 2] for i in range(rest)]
            for i, v in enumerate(vals):
                want[row][start + i] = v
            data += bytes((0, 0))  # end of line
        return data + bytes((0, 1)), want
    for name, rle4, delta, literal in (("rle8-plain.bmp", False, False, 4), ("rle8.bmp", False, True, 5),
                                       ("rle4.bmp", True, True, 3)):
        data, want = rle(rle4, delta, literal)
        bpp, n = (4, 16) if rle4 else (8, 256)
        header = info_header(40, W, H, bpp, 2 if rle4 else 1, len(data), n)
        write(name, file_of(header, palette_bytes(n), data), expected_palette(want, n), False, pillow=not delta)

    # 16 bits: 5-5-5 without masks, 5-6-5 as bit fields after a 40-byte header
    # and inside a V5 header, 4-4-4-4 with alpha (Pillow refuses that layout).
    def sixteen(name, masks, compression, header_size, alpha, pillow=True):
        fields = [(m, (m & -m).bit_length() - 1, bin(m).count("1")) for m in masks]
        def value(p):
            return sum((p[i] >> (8 - bits)) << shift for i, (m, shift, bits) in enumerate(fields) if m)
        pixels = rows_of(lambda x, y: struct.pack("<H", value(RGBA[y][x])))
        expect = [[tuple(widen(p[i] >> (8 - f[2]), f[2]) if f[0] else (255 if i == 3 else 0)
                         for i, f in enumerate(fields + [(0, 0, 0)] * (4 - len(fields)))) for p in row] for row in RGBA]
        if header_size == 40 and compression == 3:
            header, extra = info_header(40, W, H, 16, 3, len(pixels)), b"".join(struct.pack("<I", m) for m in masks)
        else:
            header, extra = info_header(header_size, W, H, 16, compression, len(pixels), masks=masks if compression else ()), b""
        write(name, file_of(header, extra, pixels), expect, alpha, pillow)
    sixteen("rgb555.bmp", (0x7C00, 0x3E0, 0x1F), 0, 40, False)
    sixteen("rgb565-v3.bmp", (0xF800, 0x7E0, 0x1F), 3, 40, False)
    sixteen("rgb565-v5.bmp", (0xF800, 0x7E0, 0x1F, 0), 3, 124, False)
    sixteen("argb4444-v5.bmp", (0xF00, 0xF0, 0xF, 0xF000), 3, 124, True, pillow=False)

    # 24 bits; 32 bits without masks (the fourth byte is no alpha), X8R8G8B8 as
    # bit fields with the alpha mask 0 in a V5 header (OpenCV read its zero
    # bytes as alpha: a transparent image), A8R8G8B8, and A8R8G8B8 whose alpha
    # is 0 everywhere: opaque, as browsers show it (Pillow: transparent).
    bgr = lambda x, y: bytes(RGBA[y][x][2::-1])
    write("rgb24.bmp", file_of(info_header(40, W, H, 24, 0, 0), b"", rows_of(bgr)), RGBA_opaque(), False)
    bgrx = lambda x, y: bgr(x, y) + bytes((RGBA[y][x][3],))
    write("rgb32.bmp", file_of(info_header(40, W, H, 32, 0, 0), b"", rows_of(bgrx)), RGBA_opaque(), False)
    masks = (0xFF0000, 0xFF00, 0xFF, 0)
    write("xrgb-v5.bmp", file_of(info_header(124, W, H, 32, 3, 0, masks=masks), b"", rows_of(lambda x, y: bgr(x, y) + b"\0")),
          RGBA_opaque(), False)
    argb = (0xFF0000, 0xFF00, 0xFF, 0xFF000000)
    write("argb-v5.bmp", file_of(info_header(124, W, H, 32, 3, 0, masks=argb), b"", rows_of(bgrx)), RGBA, True)
    data = file_of(info_header(124, W, H, 32, 3, 0, masks=argb), b"", rows_of(lambda x, y: bgr(x, y) + b"\0"))
    with open("argb-v5-alpha-0.bmp", "wb") as f:
        f.write(data)
    check_pillow("argb-v5-alpha-0.bmp", [[p[:3] + (0,) for p in row] for row in RGBA], True)
    save_expected("argb-v5-alpha-0", RGBA_opaque(), False)
    # R in the low byte (Pillow refuses this layout).
    xbgr = lambda x, y: bytes(RGBA[y][x][:3]) + b"\0"
    write("xbgr-v4.bmp", file_of(info_header(108, W, H, 32, 3, 0, masks=(0xFF, 0xFF00, 0xFF0000, 0)), b"", rows_of(xbgr)),
          RGBA_opaque(), False, pillow=False)


def RGBA_opaque():
    return [[p[:3] + (255,) for p in row] for row in RGBA]


if __name__ == "__main__":
    main()
