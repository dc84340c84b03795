"""The one-file report of a real (tiny) batch: complete, self-contained, escaped, and readable in a browser."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.plots import display_name
from simulation.report import HEADLINE, document, load, render_html, write_report
from tests.conftest import ROOT

ODD = 'A <b>&</b> "x"'
SCENARIOS = {  # a half-year warm-up keeps the runs short
    "base.yaml": "extends: baseline.yaml\nname: baseline\nrun:\n  warmup_years: 0.5\n",
    "more_beds.yaml": "extends: base.yaml\nname: more beds\ndescription: Twenty more acute beds.\n"
                      "services:\n  acute:\n    beds: 460\n",
    "odd.yaml": "extends: base.yaml\nname: 'A <b>&</b> \"x\"'\n"
                "description: 'See https://example.org/x <script>alert(1)</script>'\n"
                "services:\n  reablement:\n    places: 90\n"
                "interventions:\n  - {type: virtual_ward, name: 'ward <i>', start: 2025-04-01, "
                "maturity: {curve: linear, full_months: 12}}\n",
}
NAMES = ["baseline", "more beds", ODD]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    folder = root / "scenarios"
    folder.mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", folder / "baseline.yaml")
    for name, text in SCENARIOS.items():
        (folder / name).write_text(text, encoding="utf-8")
    out = root / "batch"
    files = [str(folder / "base.yaml"), str(folder / "more_beds.yaml"), str(folder / "odd.yaml")]
    code = main(["run", *files, "--population", "15000", "--replications", "2", "--years", "1", "--jobs", "1",
                 "--out", str(out)])
    assert code == 0
    written = write_report(out)
    assert written[:2] == [out / "report.html", out / "report.pdf"]
    return out


@pytest.fixture(scope="module")
def page(batch):
    return (batch / "report.html").read_text(encoding="utf-8")


def test_the_report_lists_every_scenario_and_headline_measure(page):
    for name in NAMES:
        assert html.escape(name) in page, name
        assert f"Value case: {html.escape(name)}" in page or name == "baseline"
    for metric, _ in HEADLINE:
        assert html.escape(display_name(metric)) in page, metric
    for section in ("How to read this", "Assumptions and evidence", "Replication adequacy", "Warm-up",
                    "Where these numbers come from", "services.reablement.places", "services.acute.beds"):
        assert section in page.replace("<wbr>", ""), section
    assert '<h2 id="money">Money</h2>' in page  # every run has cost_* metrics: a money section
    assert "more beds: who invests and who saves" in page


def test_the_report_has_no_address_script_or_external_resource(page):
    low = page.lower()
    assert "http://" not in low and "https://" not in low
    assert "<script" not in low and "<link" not in low and "<iframe" not in low and "url(" not in low
    assert re.findall(r"""\bsrc\s*=\s*(?!["']?data:image/png;base64,)""", page) == []


def test_every_image_is_an_embedded_png(page):
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 8
    for tag in images:
        assert 'src="data:image/png;base64,' in tag


def test_user_text_is_escaped_never_raw(page):
    assert ODD not in page and "<b>&</b>" not in page
    assert html.escape(ODD) in page
    assert "&lt;script&gt;" in page and "example.org/x" in page


def test_intervention_ramp_up_is_drawn(batch, page):
    png = batch / "plots" / "intervention_ramp_up.png"
    assert png.exists() and png.stat().st_size > 5_000
    assert "Ramp-up of interventions" in page
    assert "ward <i>" not in page and "ward &lt;i&gt;" in page


def test_the_pdf_exists_with_fixed_metadata(batch):
    pdf = (batch / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert b"CreationDate" not in pdf and b"Producer" not in pdf
    assert b"/Title (careshift report)" in pdf
    # the fonts the figures use, embedded (subsets), so the minus signs and arrows of the tables print
    assert b"DejaVuSans" in pdf


def test_the_pdf_is_the_same_file_when_rebuilt(batch):
    from simulation.report import render_pdf

    b = load(batch)
    blocks = document(b, {})
    assert render_pdf(blocks, {}) == render_pdf(blocks, {})


def test_a_money_section_appears_only_with_cost_metrics(batch):
    b = load(batch)
    s, c = b.view.summary, b.view.comparison
    b.view.summary = pd.concat([s, s[s["metric"] == "emergency_admissions"].assign(metric="cost_total")],
                               ignore_index=True)
    b.view.comparison = pd.concat([c, c[c["metric"] == "emergency_admissions"].assign(metric="cost_total")],
                                  ignore_index=True)
    page = render_html(document(b, {}), {})
    assert '<h2 id="money">Money</h2>' in page and "Cost total" in page and "£" in page


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (CI installs Debian's chromium package)")
def test_the_report_renders_in_a_headless_browser(batch, tmp_path):
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
           (batch / "report.html").resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), proc.stderr[-2000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(str(shot))[:, :, :3]
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert pixels.std() * 255 > 20


def test_the_pdf_fonts_come_from_matplotlib_else_the_system_else_a_clear_error(tmp_path, monkeypatch):
    import matplotlib
    from matplotlib import font_manager

    from simulation.report import _FONT_FILES, _font_file

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for file in _FONT_FILES.values():  # the pip-installed matplotlib ships all five
        assert _font_file(bundled, file) == bundled / file
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    system_copy = tmp_path / "system" / "DejaVuSans.ttf"
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda fontext="ttf": [str(system_copy), "/x/Other.ttf"])
    assert _font_file(empty, "DejaVuSans.ttf") == system_copy
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda fontext="ttf": [])
    with pytest.raises(RuntimeError, match="DejaVuSans-Bold.ttf"):
        _font_file(empty, "DejaVuSans-Bold.ttf")
