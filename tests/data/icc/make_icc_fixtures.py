#!/usr/bin/python3
"""Writes the ICC fixtures of test_icc_profile: one small picture saved by
Pillow with the same embedded ICC profile in every format whose profile kmq
reads, and the profile itself, so the test can compare the bytes exactly.

    cd tests/data/icc && /usr/bin/python3 make_icc_fixtures.py

Pillow 9.4 with Little CMS 2 (Debian 12 python3-pil). The profile is lcms's
built-in sRGB (ImageCms.createProfile("sRGB")), not one of the sRGB profiles
libpng knows by their checksums. lcms stamps it with the date, so a new run
gives new bytes: commit all the files of a run together.
"""
from PIL import Image, ImageCms

W, H = 8, 6


def picture(mode):
    im = Image.new(mode, (W, H))
    im.putdata([(x * 30, y * 40, 255 - x * 20, 255 - y * 30)[: len(mode)] for y in range(H) for x in range(W)])
    return im


def main():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    icc = profile.tobytes()
    with open("profile.icc", "wb") as f:
        f.write(icc)
    rgb, rgba = picture("RGB"), picture("RGBA")
    rgb.save("icc.jpg", quality=90, icc_profile=icc)
    rgb.save("icc.png", icc_profile=icc)
    rgba.save("icc.webp", lossless=True, exact=True, icc_profile=icc)
    rgb.save("icc.tif", compression="tiff_lzw", icc_profile=icc)  # no alpha: decoded by OpenCV
    rgba.save("icc-rgba.tif", compression="raw", icc_profile=icc)  # alpha: decoded by libtiff directly
    for name in ("icc.jpg", "icc.png", "icc.webp", "icc.tif", "icc-rgba.tif"):
        assert Image.open(name).info.get("icc_profile") == icc, name
    print(len(icc), "bytes of profile")


if __name__ == "__main__":
    main()
