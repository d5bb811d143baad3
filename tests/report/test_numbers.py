"""One format for scores (ffa_lab.report.numbers), used by the pages, the CLI tables and the report."""

from __future__ import annotations

import math

import pytest

from ffa_lab.report.numbers import fmt, prediction_text, score_change_text, score_text


@pytest.mark.parametrize(
    ("score", "text"),
    [
        (0.708, "+0.708"),
        (-1.2374, "-1.237"),
        (12.3456, "+12.346"),
        (-5.81e-05, "-0.00006"),  # was "-5.81e-05" beside "+3.12e-04"
        (3.12e-04, "+0.0003"),
        (-0.0002, "-0.0002"),  # was "-0.000" in `ffa-lab score`
        (9.6e-05, "+0.0001"),  # rounds up to the next decimal, not to "+0.00010"
        (0.00096, "+0.001"),
        (0.0, "+0.000"),
        (-0.0, "+0.000"),  # a score of zero predicts "present"
        (1e-12, "+<0.00000001"),
        (-1e-9, "-<0.00000001"),
        (float("nan"), "—"),
        (None, "—"),
    ],
)
def test_score_text(score, text):
    assert score_text(score) == text


@pytest.mark.parametrize("score", [-3.0, -0.4, -1e-3, -2.5e-4, -7e-6, 4e-7, 3e-5, 0.02, 0.9, 5.0])
def test_score_text_keeps_sign_and_notation(score):
    text = score_text(score)
    assert text[0] == ("+" if score >= 0 else "-"), "the sign is the prediction"
    assert "e" not in text, "never scientific notation"
    assert math.isclose(float(text), score, rel_tol=0.5), "one significant digit at least"
    assert float(text) != 0.0, "a non-zero score never reads as zero"


def test_score_change_points_the_way_the_score_went():
    assert score_change_text(0.708, -0.002) == "-0.710"
    assert score_change_text(-0.3, 0.1) == "+0.400"
    assert score_change_text(0.5, float("nan")) == "—"


def test_prediction_and_plain_numbers():
    assert prediction_text(0.0) == "yes" and prediction_text(-0.0001) == "no"
    assert (
        fmt(0.99971, 4) == "0.9997" and fmt(float("nan")) == "—" and fmt(None) == "—" and fmt(5.5, 1, " %") == "5.5 %"
    )


def test_cli_score_table_uses_the_format(tiny_bank, tmp_path, capsys):
    """`ffa-lab score` prints each score with score_text beside its prediction (no '-0.000 no')."""
    import numpy as np
    import torch

    from ffa_lab.cli.main import main
    from ffa_lab.data.images import encode_png
    from ffa_lab.models.checkpoint import save_bank

    image = np.full((32, 32, 3), 128, np.uint8)
    with torch.no_grad():  # move Smiling's last bias so that its score of this image is -0.0002
        smiling = tiny_bank.attributes.index("Smiling")
        score = float(tiny_bank(torch.from_numpy(image).permute(2, 0, 1)[None])[0, smiling])
        tiny_bank.fc2_bias[smiling, 0] -= score + 0.0002
    save_bank(tmp_path / "models", tiny_bank, {})
    (tmp_path / "face.png").write_bytes(encode_png(image))
    assert main(["score", "--models", str(tmp_path / "models"), "--image", str(tmp_path / "face.png")]) == 0
    lines = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert lines["Smiling"] == ["-0.0002", "no"], lines["Smiling"]
