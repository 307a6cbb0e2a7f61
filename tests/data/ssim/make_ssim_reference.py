#!/usr/bin/python3
"""Makes the SSIM fixtures of tests/test_metrics.cpp (SsimMatchesScikitImage)
and prints the expected values to paste into the test.

Needs python3-numpy, python3-skimage and python3-pil (Debian 12); only to
regenerate, not to run the tests:
    apt-get install python3-skimage python3-numpy python3-pil
    /usr/bin/python3 tests/data/ssim/make_ssim_reference.py

What is compared. kmq's SSIM (host/src/metrics.cpp, measure_quantization) is
Wang et al. (2004) on luma Y = (0.299 R + 0.587 G + 0.114 B) * A / 255 (the
colour premultiplied by alpha) of the original and of palette[index], with
C1 = (0.01 * 255)^2 and C2 = (0.03 * 255)^2, population (1/N) variances and
covariance, averaged over uniform 8x8 windows whose top-left corners are at
0, 4, 8, ... plus one flush with the right (bottom) edge where the last stride
does not end there; a side shorter than 8 gets one window of its own length.

scikit-image's structural_similarity cannot take that window layout itself (it
needs an odd window, slides it over every pixel and crops the border), so:
  1. ssim_windows() below computes the mean SSIM over any list of window
     corners, with numpy and skimage.util.view_as_windows;
  2. it is checked against skimage.metrics.structural_similarity where the two
     define the same thing: every valid 7x7 window (stride 1),
     gaussian_weights=False, use_sample_covariance=False, data_range=255,
     K1=0.01, K2=0.03, on each fixture's luma (agreement to 1e-12 asserted);
  3. the same function over kmq's windows gives the expected values.
"""
import os

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity
from skimage.util import view_as_windows

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2


def luma(rgba):
    rgba = rgba.astype(np.float64)
    y = 0.299 * rgba[..., 0] + 0.587 * rgba[..., 1] + 0.114 * rgba[..., 2]
    return y * rgba[..., 3] / 255.0


def starts(length, window, stride):
    if length <= window:
        return [0]
    s = list(range(0, length - window + 1, stride))
    if s[-1] + window != length:
        s.append(length - window)
    return s


def ssim_windows(a, b, wh, ww, ys, xs):
    """Mean SSIM of the wh x ww windows with top-left corners ys x xs."""
    wa = view_as_windows(a, (wh, ww))[np.ix_(ys, xs)]
    wb = view_as_windows(b, (wh, ww))[np.ix_(ys, xs)]
    ma, mb = wa.mean(axis=(2, 3)), wb.mean(axis=(2, 3))
    va = (wa * wa).mean(axis=(2, 3)) - ma * ma
    vb = (wb * wb).mean(axis=(2, 3)) - mb * mb
    cov = (wa * wb).mean(axis=(2, 3)) - ma * mb
    s = ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))
    return float(s.mean())


def kmq_ssim(a, b):
    h, w = a.shape
    wh, ww = min(h, 8), min(w, 8)
    return ssim_windows(a, b, wh, ww, starts(h, wh, 4), starts(w, ww, 4))


def check_against_skimage(a, b):
    h, w = a.shape
    if h < 7 or w < 7:
        return None
    ours = ssim_windows(a, b, 7, 7, list(range(h - 6)), list(range(w - 6)))
    theirs = structural_similarity(a, b, win_size=7, gaussian_weights=False, use_sample_covariance=False,
                                   data_range=255, K1=0.01, K2=0.03)
    assert abs(ours - theirs) < 1e-12, (ours, theirs)
    return theirs


def quantize(rgba, k, seed):
    """Any palette will do for a metric test: k colours of the image, each
    pixel to its nearest by squared RGBA distance."""
    flat = rgba.reshape(-1, 4).astype(np.int64)
    rng = np.random.default_rng(seed)
    palette = np.unique(flat, axis=0)
    palette = palette[rng.choice(len(palette), size=min(k, len(palette)), replace=False)]
    d = ((flat[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
    return palette.astype(np.uint8), d.argmin(axis=1).astype(np.uint8).reshape(rgba.shape[:2])


def write_case(name, rgba, k, seed):
    h, w = rgba.shape[:2]
    palette, indices = quantize(rgba, k, seed)
    with open(os.path.join(HERE, name + ".kmqssim"), "wb") as f:
        f.write(b"kmq-ssim %d %d %d\n" % (w, h, len(palette)))
        f.write(rgba.astype(np.uint8).tobytes())
        f.write(palette.tobytes())
        f.write(indices.tobytes())
    a, b = luma(rgba), luma(palette[indices])
    return kmq_ssim(a, b), check_against_skimage(a, b)


def synthetic(w, h, seed, alpha):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.zeros((h, w, 4), np.int64)
    rgba[..., 0] = x * 255 // max(w - 1, 1)
    rgba[..., 1] = y * 255 // max(h - 1, 1)
    rgba[..., 2] = (x * y) % 256
    rgba[..., :3] += rng.integers(-20, 21, (h, w, 3))
    rgba[..., 3] = rng.integers(0, 256, (h, w)) if alpha else 255
    rgba = np.clip(rgba, 0, 255)
    rgba[rgba[..., 3] == 0] = 0  # fully transparent pixels are transparent black, as kmq merges them
    return rgba.astype(np.uint8)


cases = []
photo = np.asarray(Image.open(os.path.join(ROOT, "sample_images", "astronaut.png")).convert("RGBA"))
cases.append(("photo-61x47", photo[200:247, 180:241], 16, 1))     # 61 = 13 strides + a flush window
cases.append(("alpha-29x18", synthetic(29, 18, 2, True), 8, 2))   # translucent, flush windows both ways
cases.append(("exact-16x12", synthetic(16, 12, 3, False), 4, 3))  # windows end exactly at the edges
cases.append(("thin-5x40", synthetic(5, 40, 4, False), 3, 4))     # one 5-wide window per row of windows
cases.append(("small-3x3", synthetic(3, 3, 5, True), 2, 5))       # one 3x3 window
for name, rgba, k, seed in cases:
    value, skimage_value = write_case(name, np.ascontiguousarray(rgba), k, seed)
    extra = "" if skimage_value is None else "  (7x7 all windows: skimage %.17g)" % skimage_value
    print('    {"%s", %.17g},%s' % (name, value, extra))
