"""The report page in a real headless browser (Debian's Chromium): it renders, offline.

`make browser-test` installs Chromium and runs these. The screenshot is checked for what a
person sees first, not pixel by pixel: the outcome badge in its colour, and the timeline's bars
in their steps' colours.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WINDOW = (1100, 900)
GREEN, RED = (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)  # the SUCCEEDED and FAILED badges
# A step's bar: its status colour at 35% over white.
GREEN_BAR, RED_BAR = (182, 210, 183), (235, 180, 180)
HEADLINE = (0, 0, WINDOW[0], 80)
BELOW = (0, 80, WINDOW[0], WINDOW[1])


def screenshot(page: Path, folder: Path) -> Image.Image:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("Chromium is not installed: `make browser-test` installs it")
    shot = folder / f"{page.stem}.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # a container's root user has no sandbox
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Image.open(shot).convert("RGB")


def pixels_of(image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]) -> int:
    """Pixels within a few levels of `colour` (font smoothing and blending shift them a little)."""
    region = image.crop(box)
    return sum(
        count
        for count, value in region.getcolors(region.width * region.height)
        if max(abs(a - b) for a, b in zip(value, colour, strict=True)) <= 3
    )


def test_a_succeeded_run_renders_its_green_badge_and_its_phases(
    retried_page: tuple[int, Path], tmp_path: Path
) -> None:
    image = screenshot(retried_page[1], tmp_path)

    assert image.size == WINDOW
    assert pixels_of(image, GREEN, HEADLINE) > 500  # the badge, not a stray pixel
    assert pixels_of(image, RED, HEADLINE) == 0
    assert pixels_of(image, GREEN_BAR, BELOW) > 3000  # seven steps' bars
    assert pixels_of(image, RED_BAR, BELOW) == 0


def test_a_failed_run_renders_its_red_badge(failed_page: tuple[int, Path], tmp_path: Path) -> None:
    image = screenshot(failed_page[1], tmp_path)

    assert pixels_of(image, RED, HEADLINE) > 500
    assert pixels_of(image, GREEN, HEADLINE) == 0
    assert pixels_of(image, RED_BAR, BELOW) > 1000  # the export's bar
    assert pixels_of(image, GREEN_BAR, BELOW) > 3000  # the steps before it, and cleanup
