"""The run report in a real headless browser (Debian's chromium): no console error, charts drawn, a
screenshot taken."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from chromium import chromium_binary, open_page

from amlops.report import RunFacts, render_html

from .samples import classification_facts, regression_facts

if chromium_binary() is None:
    if shutil.which("apt-get") is None:
        pytest.skip(
            "chromium is not installed and apt-get is unavailable to install it", allow_module_level=True
        )
    pytest.fail("chromium is not installed: `make tools` installs Debian's package", pytrace=False)

CHART_SIZES = """JSON.stringify([...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {kind: svg.getAttribute('class'), width: box.width, height: box.height,
          shapes: svg.querySelectorAll('rect, circle, line').length};
}))"""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(
    ("facts", "kinds"),
    [
        (regression_facts(), ["chart metrics", "chart scatter", "chart drift"]),
        (classification_facts(), ["chart metrics", "chart confusion"]),
    ],
    ids=["regression", "classification"],
)
def test_the_report_opens_without_errors_and_draws_its_charts(
    facts: RunFacts, kinds: list[str], tmp_path: Path
) -> None:
    import json

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(facts), encoding="utf-8")
    with open_page(page_file.as_uri(), tmp_path / "profile") as page:
        assert page.console_errors == []
        charts = json.loads(page.evaluate(CHART_SIZES))
        assert [c["kind"] for c in charts] == kinds
        for chart in charts:
            assert chart["width"] > 50, chart
            assert chart["height"] > 50, chart
            assert chart["shapes"] > 0, chart
        assert page.evaluate("document.title") == f"Run report: {facts.run_id}"
        shot = page.screenshot(tmp_path / "report.png")
    width, height = png_size(shot)
    assert width >= 800
    assert height >= 600
    assert shot.stat().st_size > 10_000  # a page with charts, not a blank one


def test_a_console_error_is_seen(tmp_path: Path) -> None:
    """The check itself works: a page that breaks its own CSP is reported."""
    page_file = tmp_path / "broken.html"
    html = render_html(regression_facts()).replace(
        "</body>", "<script>console.log('blocked')</script></body>"
    )
    page_file.write_text(html, encoding="utf-8")
    with open_page(page_file.as_uri(), tmp_path / "profile") as page:
        assert any("Content Security Policy" in e for e in page.console_errors), page.console_errors
