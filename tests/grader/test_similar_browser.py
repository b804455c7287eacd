"""The similarity pages in headless Chromium: they render without console messages (the CSP
blocks nothing they need), the index lists the planted pairs first, a pair page shows the code
side by side."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from grader.similar import run_similar
from similar_class import build_class, planted_pairs
from test_browser import CHROMIUM, chromium, console_messages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs headless chromium: apt-get install "
                       "chromium (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    subs, asg = build_class(tmp_path_factory.mktemp("class"))
    out = tmp_path_factory.mktemp("pages")
    run_similar(subs, asg, out)
    return out


def test_index_lists_planted_pairs_first(pages: Path, tmp_path: Path) -> None:
    run = chromium(tmp_path, (pages / "index.html").as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    table = run.stdout[run.stdout.index('id="pairs"'):]
    shown = re.findall(r'<a href="([^"]+)--([^"]+)\.html">', table)
    assert set(shown[:len(planted_pairs())]) == set(planted_pairs())


@pytest.mark.parametrize("page", ["index.html", "h3_cifar--p1_copy.html",
                                  "h4_rnn--p3_perm.html", "h5_rl--p3_perm.html"])
def test_pages_render_without_console_errors(pages: Path, tmp_path: Path, page: str) -> None:
    from PIL import Image
    shot = tmp_path / "shot.png"
    run = chromium(tmp_path, (pages / page).as_uri(), f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    with Image.open(shot) as img:
        colors = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 1


def test_pair_page_shows_code_side_by_side(pages: Path, tmp_path: Path) -> None:
    run = chromium(tmp_path, (pages / "h3_cifar--p1_copy.html").as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    side = run.stdout[run.stdout.index('class="side"'):]
    first = re.search(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", side, re.S)
    assert first is not None
    assert "main.py lines" in first.group(1) and "train.py lines" in first.group(2)
    assert "Normalize" in first.group(1) and "Normalize" in first.group(2)   # the same code…
    assert "transform_train" in first.group(1) and "transform_train" not in first.group(2)
    # …with the copy's own names
