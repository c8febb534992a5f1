"""The demo dataset: drawn pictures of a few ImageNet classes, some holding two objects, so
that finelabel runs end to end on a fresh machine without ImageNet. Pure Pillow, no Django."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = (500, 375)
Box = tuple[int, int, int, int]


def _orange(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    d.ellipse(box, fill=(245, 140 + rng.randint(-15, 15), 20), outline=(190, 95, 10), width=3)
    x0, y0, x1, _ = box
    d.ellipse(
        (x0 + (x1 - x0) // 2 - 6, y0 + 4, x0 + (x1 - x0) // 2 + 6, y0 + 14), fill=(60, 120, 30)
    )


def _lemon(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    h = (y1 - y0) // 5
    d.ellipse(
        (x0, y0 + h, x1, y1 - h),
        fill=(250, 230, 50 + rng.randint(0, 30)),
        outline=(200, 180, 20),
        width=3,
    )


def _golf_ball(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    d.ellipse(box, fill=(248, 248, 248), outline=(180, 180, 180), width=2)
    x0, y0, x1, y1 = box
    r = (x1 - x0) / 2
    for _ in range(40):
        a, t = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.85) * r
        cx, cy = x0 + r + t * math.cos(a), y0 + r + t * math.sin(a)
        d.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=(205, 205, 205))


def _traffic_light(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    w = (x1 - x0) // 2
    left = x0 + w // 2
    d.rectangle((left, y0, left + w, y1), fill=(35, 35, 35))
    lit = rng.randrange(3)
    colours = [(230, 30, 30), (240, 200, 20), (30, 200, 60)]
    step = (y1 - y0) // 3
    for i, colour in enumerate(colours):
        c = colour if i == lit else tuple(v // 4 for v in colour)
        d.ellipse((left + 6, y0 + i * step + 6, left + w - 6, y0 + (i + 1) * step - 6), fill=c)


def _soccer_ball(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    d.ellipse(box, fill=(250, 250, 250), outline=(20, 20, 20), width=3)
    x0, y0, x1, _ = box
    r = (x1 - x0) / 2
    cx, cy = x0 + r, y0 + r
    spin = rng.uniform(0, math.pi)
    pentagon = [
        (
            cx + r * 0.3 * math.cos(spin + k * 2 * math.pi / 5),
            cy + r * 0.3 * math.sin(spin + k * 2 * math.pi / 5),
        )
        for k in range(5)
    ]
    d.polygon(pentagon, fill=(20, 20, 20))
    for px, py in pentagon:
        d.line((px, py, cx + (px - cx) * 3, cy + (py - cy) * 3), fill=(20, 20, 20), width=3)


def _tennis_ball(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    d.ellipse(box, fill=(205, 230, 40), outline=(150, 170, 20), width=2)
    x0, y0, x1, y1 = box
    w = x1 - x0
    d.arc((x0 - w // 2, y0, x0 + w // 2, y1), -60, 60, fill=(255, 255, 255), width=5)
    d.arc((x1 - w // 2, y0, x1 + w // 2, y1), 120, 240, fill=(255, 255, 255), width=5)


def _strawberry(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    cx = (x0 + x1) / 2
    d.polygon(
        [(x0, y0 + (y1 - y0) * 0.25), (x1, y0 + (y1 - y0) * 0.25), (cx, y1)], fill=(215, 30, 45)
    )
    d.ellipse((x0, y0 + 5, x1, y0 + (y1 - y0) * 0.5), fill=(215, 30, 45))
    d.polygon(
        [(cx - 25, y0 + 10), (cx, y0 - 5), (cx + 25, y0 + 10), (cx, y0 + 25)], fill=(40, 150, 40)
    )
    for _ in range(18):
        sx, sy = rng.uniform(x0 + 15, x1 - 15), rng.uniform(y0 + 30, y0 + (y1 - y0) * 0.6)
        d.ellipse((sx - 2, sy - 3, sx + 2, sy + 3), fill=(250, 220, 90))


def _envelope(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    h = (y1 - y0) // 5
    y0, y1 = y0 + h, y1 - h
    d.rectangle((x0, y0, x1, y1), fill=(245, 240, 225), outline=(120, 110, 90), width=3)
    d.line((x0, y0, (x0 + x1) // 2, (y0 + y1) // 2, x1, y0), fill=(120, 110, 90), width=3)


def _analog_clock(d: ImageDraw.ImageDraw, box: Box, rng: random.Random) -> None:
    d.ellipse(box, fill=(255, 255, 250), outline=(40, 40, 40), width=6)
    x0, y0, x1, _ = box
    r = (x1 - x0) / 2
    cx, cy = x0 + r, y0 + r
    for k in range(12):
        a = k * math.pi / 6
        d.line(
            (
                cx + 0.8 * r * math.cos(a),
                cy + 0.8 * r * math.sin(a),
                cx + 0.92 * r * math.cos(a),
                cy + 0.92 * r * math.sin(a),
            ),
            fill=(40, 40, 40),
            width=3,
        )
    for length, width in ((0.5, 6), (0.75, 3)):
        a = rng.uniform(0, 2 * math.pi)
        d.line(
            (cx, cy, cx + length * r * math.cos(a), cy + length * r * math.sin(a)),
            fill=(20, 20, 20),
            width=width,
        )


DRAWERS: dict[str, Callable[[ImageDraw.ImageDraw, Box, random.Random], None]] = {
    "n07747607": _orange,
    "n07749582": _lemon,
    "n03445777": _golf_ball,
    "n06874185": _traffic_light,
    "n04254680": _soccer_ball,
    "n04409515": _tennis_ball,
    "n07745940": _strawberry,
    "n03291819": _envelope,
    "n02708093": _analog_clock,
}
# Pairs that make two-object pictures; the first is the picture's dataset label.
PAIRS = [
    ("n07747607", "n07749582"),
    ("n04409515", "n04254680"),
    ("n03291819", "n02708093"),
    ("n07745940", "n07747607"),
    ("n03445777", "n06874185"),
]


def _background(rng: random.Random) -> Image.Image:
    base = tuple(rng.randint(60, 200) for _ in range(3))
    image = Image.new("RGB", SIZE, base)
    d = ImageDraw.Draw(image)
    for _ in range(25):  # soft clutter, so no two pictures share bytes
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        shade = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in base)
        d.ellipse((x - 30, y - 30, x + 30, y + 30), fill=shade)
    return image.filter(ImageFilter.GaussianBlur(6))


def _box(rng: random.Random, region: Box) -> Box:
    rx0, ry0, rx1, ry1 = region
    side = rng.randint(int(0.55 * min(rx1 - rx0, ry1 - ry0)), int(0.8 * min(rx1 - rx0, ry1 - ry0)))
    x0 = rng.randint(rx0, rx1 - side)
    y0 = rng.randint(ry0, ry1 - side)
    return (x0, y0, x0 + side, y0 + side)


def draw(wnids: list[str], rng: random.Random) -> Image.Image:
    """One picture holding one object of each class in `wnids`, side by side."""
    image = _background(rng)
    d = ImageDraw.Draw(image)
    width = SIZE[0] // len(wnids)
    for i, wnid in enumerate(wnids):
        region = (i * width + 10, 10, (i + 1) * width - 10, SIZE[1] - 10)
        DRAWERS[wnid](d, _box(rng, region), rng)
    return image


def write_demo_images(root: Path, per_class: int = 6, seed: int = 0) -> list[Path]:
    """root/<wnid>/*.jpg: `per_class` single-object pictures per class, plus two pictures of
    each pair in PAIRS filed under the pair's first class."""
    rng = random.Random(seed)
    written = []
    jobs = [([w], f"{w}_{i}") for w in DRAWERS for i in range(per_class)]
    jobs += [(list(pair), f"{pair[0]}_with_{pair[1]}_{i}") for pair in PAIRS for i in range(2)]
    for wnids, name in jobs:
        path = root / wnids[0] / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        draw(wnids, rng).save(path, "JPEG", quality=88)
        written.append(path)
    return written


SECOND_OBJECT = re.compile(r"_with_(n\d{8})")


def second_objects(source: str) -> list[str]:
    """The wnids of the further objects a demo picture holds, from its file name
    (`<wnid>_with_<wnid>_<n>`, filed under the first class, which is its dataset label)."""
    return SECOND_OBJECT.findall(source)


def demo_truth(campaign) -> dict[int, frozenset[int]]:
    """Image id -> the label ids it really holds, for the demo's simulated crowd."""
    from catalogue.models import Image, LabelClass

    ids = dict(LabelClass.objects.values_list("wnid", "pk"))
    truth = {}
    for image, label, source in Image.objects.filter(dataset=campaign.dataset).values_list(
        "pk", "label_id", "source"
    ):
        truth[image] = frozenset([label, *(ids[w] for w in second_objects(source) if w in ids)])
    return truth


def add_drawn_objects(campaign) -> int:
    """Add each picture's drawn further objects to the campaign's potential labels; returns
    how many were added. The demo's models have random weights and cannot see the drawings,
    so without this no second object would ever be put to the crowd, and CLASSIFY would have
    nothing to do; a trained ensemble proposes such objects in its top-5. They are stored as
    proposed by no model of the ensemble (model_count 0)."""
    from pipeline.models import PotentialLabel

    have = set(PotentialLabel.objects.filter(campaign=campaign).values_list("image_id", "label_id"))
    rows = [
        PotentialLabel(campaign=campaign, image_id=image, label_id=label)
        for image, labels in sorted(demo_truth(campaign).items())
        for label in sorted(labels)
        if (image, label) not in have
    ]
    PotentialLabel.objects.bulk_create(rows)
    return len(rows)
