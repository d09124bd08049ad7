"""`run --report`: one self-contained page with the timeline, every check, retries, outcome, cost."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


class Elements(HTMLParser):
    """Every element's tag and attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: Path) -> Elements:
    elements = Elements()
    elements.feed(page.read_text(encoding="utf-8"))
    return elements


def test_the_page_loads_nothing_from_anywhere(retried_page: tuple[int, Path]) -> None:
    page = parsed(retried_page[1])

    fetching = [(tag, attrs) for tag, attrs in page.elements if {"src", "href"} & set(attrs)]
    assert fetching == []
    policies = [attrs for _, attrs in page.elements if attrs.get("http-equiv") == "Content-Security-Policy"]
    (policy,) = policies
    assert "default-src 'none'" in str(policy["content"])


def test_each_recorded_check_is_a_tick_and_a_retried_step_says_so(retried_page: tuple[int, Path]) -> None:
    code, path = retried_page
    page = parsed(path)
    text = "".join(page.text)

    assert code == 0
    ticks = [attrs for tag, attrs in page.elements if tag == "line" and attrs.get("class") == "check"]
    # The steps table's "checks" column counts the same checks the ticks draw.
    counts = re.findall(r"<tr><td>(\w+)</td><td>\w+</td><td>(\d+)</td><td>(\d+)</td>", path.read_text())
    assert len(ticks) == sum(int(checks) for _, _, checks in counts) > 10
    assert ("builder", "2") in [(step, attempts) for step, attempts, _ in counts]
    assert "retried: 2 attempts" in text
    assert "SUCCEEDED" in text and "Cost" in text and "ami-" in text


def test_a_failed_run_shows_where_it_failed_and_its_cleanup(failed_page: tuple[int, Path]) -> None:
    code, path = failed_page
    page = parsed(path)
    steps = {attrs["data-step"]: attrs["data-status"] for _, attrs in page.elements if attrs.get("data-step")}

    assert code == 1
    assert steps["export"] == "FAILED" and steps["cleanup"] == "SUCCEEDED"
    assert "failed at export: ExportFailed" in "".join(page.text)
