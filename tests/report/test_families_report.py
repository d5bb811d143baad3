"""``ffa-lab report`` with several ``--results``: a family comparison section in summary.md and report.html;
one ``--results`` writes the report as before."""

from __future__ import annotations

import re

import pytest

from ffa_lab.cli.main import main
from tests.family_helpers import write_two_families
from tests.report.test_report import CHROMIUM, FLAGS

SINGLE_STUDY_FIGURES = 7  # robustness table, success bars, PASS box, L∞ box, side effects, mean |δ|, accuracy
FAMILY_FIGURES = 6  # overview table, mean success, ρ heatmap, ranks per attribute, side effects, DDN ratios


def _report(tmp_path, *folders):
    out = tmp_path / "report"
    args = ["report", "--out", str(out), "--examples", "0"]
    for folder in folders:
        args += ["--results", str(folder)]
    assert main(args) == 0
    return (out / "summary.md").read_text(), (out / "report.html").read_text()


def test_several_results_add_the_family_comparison(tmp_path, capsys):
    _, results = write_two_families(tmp_path)
    markdown, page = _report(tmp_path, results / "alpha", results / "beta")
    assert "wrote" in capsys.readouterr().out
    assert markdown.startswith("# ffa-lab results summary\n\n## Robustness study")  # alpha's own report first
    section = markdown[markdown.index("## Model families side by side") :]
    assert "- alpha vs beta: Spearman ρ = 0.500 over 3 common attributes" in section
    assert "| alpha | 80.00 | 70.00 | study | 10 | 60.00 | 30.00 | 50.00 |" in section  # accuracies found via models
    assert "| beta | 80.00 | 70.00 | study | 1000 | 75.00 |" in section
    assert "### FFA against the minimal-norm attacks" in section and "| **mean** | 2.00 |" in section
    assert "<h2>Model families side by side</h2>" in page
    assert page.count("Plotly.newPlot") == SINGLE_STUDY_FIGURES + FAMILY_FIGURES
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # still inlined once
    assert "Spearman rank correlation of the robustness rankings" in page


def test_one_results_folder_has_no_comparison(tmp_path):
    _, results = write_two_families(tmp_path)
    markdown, page = _report(tmp_path, results / "alpha")
    assert "Model families" not in markdown and "Model families" not in page
    assert page.count("Plotly.newPlot") == SINGLE_STUDY_FIGURES


def test_a_folder_without_a_study_is_a_one_line_error(tmp_path, capsys):
    _, results = write_two_families(tmp_path)
    (tmp_path / "empty").mkdir()
    args = ["report", "--out", str(tmp_path / "r"), "--examples", "0", "--results", str(results / "alpha")]
    assert main([*args, "--results", str(tmp_path / "empty")]) == 2
    assert "no finished study" in capsys.readouterr().err


@pytest.mark.browser
def test_family_report_renders_in_headless_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    _, results = write_two_families(tmp_path)
    _report(tmp_path, results / "alpha", results / "beta")
    errors: list[str] = []
    total = SINGLE_STUDY_FIGURES + FAMILY_FIGURES
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto((tmp_path / "report" / "report.html").as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length === {total}", timeout=120_000)
            drawn = page.evaluate(
                "[...document.querySelectorAll('.js-plotly-plot')].map(d => d.querySelector('.main-svg') !== null)"
            )
        finally:
            browser.close()
    assert errors == [] and drawn == [True] * total
