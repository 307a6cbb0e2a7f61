#!/usr/bin/python3
"""Writes the EXIF orientation fixtures of test_image_decode_formats
(ImageDecode.PngExifOrientationAsPillowAndBrowsersShowIt): a 4x3 picture of 12
colours saved as PNG with an eXIf chunk of each orientation 1-8 (orient-N.png),
beside Pillow's exif_transpose of it without EXIF (orient-N.expected.png), the
pixels kmq must give. Chromium shows a PNG turned by its eXIf as well.

    cd tests/data/exif && /usr/bin/python3 make_exif_fixtures.py

Pillow 9.4 (Debian 12 python3-pil).
"""
from PIL import Image, ImageOps

W, H = 4, 3


def picture():
    im = Image.new("RGB", (W, H))
    im.putdata([(20 * i, 255 - 20 * i, (70 * i) % 256) for i in range(W * H)])
    return im


def main():
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        name = "orient-%d.png" % orientation
        picture().save(name, exif=exif.tobytes())
        back = Image.open(name)
        assert back.getexif().get(0x0112) == orientation, name
        ImageOps.exif_transpose(back).convert("RGB").save("orient-%d.expected.png" % orientation)


if __name__ == "__main__":
    main()
