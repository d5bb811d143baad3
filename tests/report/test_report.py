"""The report: self-contained HTML (plotly inlined once, example grids as data URIs) and markdown;
rendered in headless Chromium without page errors and with every figure drawn."""

import re
from pathlib import Path

import pytest

from ffa_lab.cli.main import main
from ffa_lab.experiments.extra_epochs import run_extra_epochs
from ffa_lab.experiments.natural import NaturalConfig, run_natural
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import ResultsError
from ffa_lab.experiments.study import StudyConfig, run_study
from ffa_lab.report.html import find_results, write_report
from tests.study_helpers import ATTRS, make_inputs, open_inputs

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# robustness table, success bars, PASS box, L∞ box, side effects, mean |δ|, accuracy; natural rates, extra epochs
N_FIGURES = 9


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    inputs = make_inputs(tmp_path_factory.mktemp("report"))
    loaded, data = open_inputs(inputs)
    folder = inputs["root"] / "results"
    run_study(loaded, data, StudyConfig(attributes=ATTRS), folder / "study", options=RunOptions.quiet(inputs["cache"]))
    for split in ("train", "test"):
        config = NaturalConfig(split=split, attributes=ATTRS)
        run_natural(loaded, data, config, folder / "natural", options=RunOptions.quiet(inputs["cache"]))
    run_extra_epochs(loaded, data, folder / "natural", 1, options=RunOptions.quiet(inputs["cache"]))
    return folder


@pytest.fixture(scope="module")
def report(results):
    return write_report(results, results.parent / "report", examples=2, log=lambda _: None)


def test_html_is_self_contained_with_plotly_once_and_example_images(report):
    page = report["html"].read_text()
    assert page.count("Plotly.newPlot") == N_FIGURES
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # the library is inlined exactly once
    assert not re.search(r"<script[^>]*\bsrc=", page) and not re.search(r"<link[^>]*\bhref=", page)  # nothing fetched
    assert page.count("data:image/png;base64,") >= 6  # at least two grids of three images
    assert "original" in page and "perturbation (amplified)" in page


def test_markdown_summary_states_ranking_and_outcomes(report):
    text = report["markdown"].read_text()
    assert "Ranking criterion" in text and "Most robust" in text and "Most vulnerable" in text
    assert "**train**" in text and "**test**" in text and "Additional epochs" in text
    for name in ATTRS:
        assert f"| {name} |" in text


def test_missing_results_and_sources_are_clear(tmp_path, results, capsys):
    with pytest.raises(ResultsError, match="no study or natural results"):
        find_results(tmp_path)
    code = main(["report", "--results", str(results), "--out", str(tmp_path / "r"), "--models", str(tmp_path / "x")])
    assert code == 0 and (tmp_path / "r" / "report.html").is_file()
    assert "examples skipped" in capsys.readouterr().out
    study, natural = find_results(results / "study")
    assert study is not None and natural is None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report):
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(report["html"].as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot').length === {N_FIGURES}", timeout=120_000
            )
            drawn = page.evaluate(
                "[...document.querySelectorAll('.js-plotly-plot')].map(d => d.querySelector("
                "'.main-svg') !== null && d.data.length > 0)"
            )
            images = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
        finally:
            browser.close()
    assert errors == []
    assert drawn == [True] * N_FIGURES
    assert images >= 6
