"""Pictures for the demo, drawn with Pillow so the demo needs no files."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

BLUE, GREEN, SAND, GREY, WHITE = (11, 79, 138), (13, 91, 42), (232, 214, 170), (90, 90, 90), (255, 255, 255)


def _png(draw: Callable[[ImageDraw.ImageDraw], None], size: tuple[int, int] = (1200, 630)) -> bytes:
    picture = Image.new("RGB", size, WHITE)
    draw(ImageDraw.Draw(picture))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _chart(pen: ImageDraw.ImageDraw) -> None:
    pen.line([(100, 560), (1100, 560)], fill=GREY, width=4)
    for i, value in enumerate([280, 305, 337, 362]):
        left = 180 + i * 230
        pen.rectangle([left, 560 - value, left + 150, 560], fill=BLUE)


def _scales(pen: ImageDraw.ImageDraw) -> None:
    pen.line([(600, 120), (600, 520)], fill=GREY, width=10)
    pen.line([(330, 200), (870, 200)], fill=GREY, width=8)
    for x in (330, 870):
        pen.line([(x, 200), (x - 80, 380)], fill=GREY, width=3)
        pen.line([(x, 200), (x + 80, 380)], fill=GREY, width=3)
        pen.pieslice([x - 110, 300, x + 110, 460], 0, 180, fill=SAND)
    pen.rectangle([480, 520, 720, 560], fill=BLUE)


def _road(pen: ImageDraw.ImageDraw) -> None:
    pen.rectangle([0, 0, 1200, 330], fill=(210, 230, 245))
    pen.polygon([(480, 330), (720, 330), (1100, 630), (100, 630)], fill=GREY)
    for y in range(350, 630, 60):
        width = 4 + (y - 330) // 30
        pen.rectangle([600 - width, y, 600 + width, y + 30], fill=WHITE)
    for i in range(11):
        pen.rectangle([40 + i * 100, 240, 110 + i * 100, 300], fill=SAND, outline=GREY)


def _logo(pen: ImageDraw.ImageDraw) -> None:
    pen.ellipse([20, 20, 380, 380], fill=BLUE)
    pen.line([(110, 210), (180, 280), (300, 130)], fill=WHITE, width=34, joint="curve")


PICTURES = {
    "chart": (_png(_chart), "A bar chart: reports received each quarter rise from 280 to 362"),
    "scales": (_png(_scales), "A pair of scales in balance"),
    "road": (_png(_road), "A road stretching away, lined with eleven small building plots"),
    "logo": (_png(_logo, (400, 400)), "Logo of the Demo Integrity Office: a white tick in a blue circle"),
}
