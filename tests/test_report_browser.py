"""The report opened in headless Chromium with the network off: charts render, console stays clean,
and text from the data shows as text.

Needs Debian's `chromium` (`.ci/run` installs it with apt); skipped with a reason when it is absent,
unless VITALS_REQUIRE_BROWSER=1 (set by `.ci/run` when chromium is installed), which makes it fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from monitor.recording import load_session
from monitor.report import write_report
from tests.support.report_session import PAYLOAD, make_session

# Each test starts headless Chromium, and needs nothing but itself: they run in the background from
# the start of the run (tests/support/head_start.py), on the core the other tests leave idle.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.head_start]


def _find_chromium() -> Path | None:
    if Path("/usr/bin/chromium").exists():
        return Path("/usr/bin/chromium")
    found = shutil.which("chromium")
    return Path(found) if found else None


CHROMIUM = _find_chromium()
if CHROMIUM is None:
    if os.environ.get("VITALS_REQUIRE_BROWSER") == "1":
        raise RuntimeError("VITALS_REQUIRE_BROWSER=1 but no chromium was found (apt-get install -y chromium)")
    pytestmark.append(
        pytest.mark.skip(
            reason="headless browser test needs /usr/bin/chromium "
            "(Debian: apt-get install -y chromium; .ci/run installs it)"
        )
    )

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    # Network off: every connection goes to a closed port and no name resolves.
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=8000",
]


def open_in_chromium(html: Path, *extra: str) -> tuple[str, list[str]]:
    """(the DOM after the page has run, the console messages) for a page opened from disk."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        p = subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", html.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    return p.stdout, console


@contextlib.contextmanager
def a_folder():
    """A temporary folder (the tests take no fixtures: they run in a process of their own)."""
    with tempfile.TemporaryDirectory(prefix="browser-") as d:
        yield Path(d)


def evil_report(d: Path) -> Path:
    evil = PAYLOAD + " <img src=x onerror=\"document.title='PWNED'\"> %{y} <b>bold</b>"
    folder = make_session(d / "s", label=evil, note=NOTE, who=evil, dose_extra={"given_by": evil})
    return write_report(load_session(folder), d / "report.html", title=evil)


NOTE = "<b>bold?</b> %{y} $x$ <script>alert(2)</script>"

# Appended to a copy of the report: show the hover label of the note marker, as a mouse would.
HOVER_NOTE = """<script>
(function () {
  var gd = document.getElementById('chart');
  var i = gd.data.findIndex(function (t) { return t.name === 'notes'; });
  Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 0}]);
})();
</script></body>"""


def test_charts_render_offline_without_console_errors():
    with a_folder() as d:
        dom, console = open_in_chromium(evil_report(d))
    assert console == [], console
    assert dom.count('class="main-svg"') >= 2, "Plotly did not draw the chart"
    # Traces (HR line, BP markers, temperature, events) and the range slider were drawn.
    assert len(re.findall(r'class="trace scatter', dom)) >= 6
    assert "rangeslider-container" in dom
    assert re.search(r'data-unformatted="1 h"', dom) and re.search(r'data-unformatted="all"', dom)


def test_text_from_the_data_shows_as_text():
    with a_folder() as d:
        dom, _ = open_in_chromium(evil_report(d))
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL).group(1)
    assert title.strip() != "PWNED" and title.strip().endswith("session report")  # no handler ran
    assert '<img src="x"' not in dom and "<script>alert(1)</script>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # in the header, the tables


def test_plotly_shows_a_note_as_typed_in_its_hover():
    with a_folder() as d:
        page = d / "hover.html"
        page.write_text(evil_report(d).read_text(encoding="utf-8").replace("</body>", HOVER_NOTE), encoding="utf-8")
        dom, console = open_in_chromium(page)
    assert console == [], console
    hover = re.search(r'<g class="hovertext".*?</g></g>', dom, re.DOTALL)
    assert hover, "no hover label was drawn"
    text = re.sub(r"<[^>]+>", "", hover.group(0))  # the text Plotly drew, tags (tspans) removed
    assert "&lt;b&gt;bold?&lt;/b&gt; %{y} $x$ &lt;script&gt;alert(2)&lt;/script&gt;" in text


CLICK_1H = """<script>
setTimeout(function () {
  var gd = document.getElementById('chart');
  var button = Array.from(document.querySelectorAll('.updatemenu-button'))
    .find(function (b) { return b.textContent === '1 h'; });
  button.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  setTimeout(function () {
    var out = document.createElement('pre');
    out.id = 'range-after-click';
    out.textContent = JSON.stringify(gd.layout.xaxis.range);
    document.body.appendChild(out);
  }, 500);
}, 500);
</script></body>"""


def test_the_1h_button_zooms_to_the_first_hour_after_the_dose():
    with a_folder() as d:
        page = d / "click.html"
        page.write_text(evil_report(d).read_text(encoding="utf-8").replace("</body>", CLICK_1H), encoding="utf-8")
        dom, console = open_in_chromium(page)
    assert console == [], console
    m = re.search(r'<pre id="range-after-click">\[(.*?)\]</pre>', dom)
    assert m, "the button click was not recorded"
    lo, hi = (float(x) for x in m.group(1).split(","))
    assert (lo, hi) == (0.0, 1.0)


def test_cdn_report_offline_says_why_no_charts():
    with a_folder() as d:
        out = write_report(load_session(make_session(d / "s")), d / "cdn.html", plotlyjs="cdn")
        dom, console = open_in_chromium(out)
    assert "plotly.js did not load" in dom
    assert 'class="main-svg"' not in dom
    # The only console complaints are about the blocked CDN script.
    assert all("cdn.plot.ly" in line or "ERR_" in line for line in console), console
