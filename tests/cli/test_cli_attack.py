"""`ffa-lab attack`: table, JSON schema, adversarial PNGs, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ffa_lab.cli.main import main
from ffa_lab.data.images import decode_image
from ffa_lab.models.evaluate import bank_scores
from tests.attacks.test_attacks import ATTRS, make_bank

KEYS = {"attribute", "method", "goal", "success", "score_before", "score_after", "scale", "l2", "linf", "pass"}


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_attack_one_attribute_writes_json_and_png(setup, tmp_path, capsys):
    models, image_path, image = setup
    out, report = tmp_path / "adv.png", tmp_path / "r.json"
    code = main(
        [
            "attack",
            "--models",
            str(models),
            "--image",
            str(image_path),
            "--attribute",
            "smiling",
            "--method",
            "fgs",
            "--out",
            str(out),
            "--json",
            str(report),
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Smiling" in printed and "PASS" in printed and "fgs (flip)" in printed
    rows = json.loads(report.read_text())["results"]
    assert len(rows) == 1 and set(rows[0]) == KEYS
    row = rows[0]
    assert row["attribute"] == "Smiling" and row["method"] == "fgs" and row["goal"] == "flip"
    adversarial = decode_image(out)
    assert adversarial.shape == image.shape
    score = float(bank_scores(make_bank(), adversarial[None])[0, ATTRS.index("Smiling")])
    assert score == pytest.approx(row["score_after"], abs=1e-5)
    if row["success"]:
        assert np.sign(score) != np.sign(row["score_before"]) and 0 < row["pass"] <= 1
        assert row["linf"] == np.abs(adversarial.astype(int) - image).max()


def test_attack_all_writes_one_png_per_attribute(setup, tmp_path):
    models, image_path, _ = setup
    out, report = tmp_path / "adv.png", tmp_path / "r.json"
    assert (
        main(
            [
                "attack",
                "--models",
                str(models),
                "--image",
                str(image_path),
                "--attribute",
                "all",
                "--out",
                str(out),
                "--json",
                str(report),
                "--no-pass",
            ]
        )
        == 0
    )
    rows = json.loads(report.read_text())["results"]
    assert [r["attribute"] for r in rows] == ["Male", "Smiling"] and all(r["pass"] is None for r in rows)
    for name in ATTRS:
        assert (tmp_path / f"adv_{name}.png").is_file()


def test_goal_correct_uses_the_label(setup, tmp_path):
    models, image_path, image = setup
    score = float(bank_scores(make_bank(), image[None])[0, 0])
    label = -1 if score >= 0 else 1  # the network is wrong about this label: correcting it is a flip
    report = tmp_path / "r.json"
    assert (
        main(
            [
                "attack",
                "--models",
                str(models),
                "--image",
                str(image_path),
                "--attribute",
                "Smiling",
                "--goal",
                "correct",
                "--label",
                str(label),
                "--json",
                str(report),
                "--no-pass",
            ]
        )
        == 0
    )
    row = json.loads(report.read_text())["results"][0]
    assert row["goal"] == "correct" and row["success"] and np.sign(row["score_after"]) == label


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--attribute", "Nose_Ring"], "unknown attribute"),
        (["--attribute", "Young"], "no network for: Young"),
        (["--attribute", "Smiling", "--goal", "correct"], "needs --label"),
        (["--attribute", "Smiling", "--goal", "correct", "--label", "2"], "+1/-1"),
        (["--attribute", "Smiling", "--label", "1"], "only used with --goal correct"),
    ],
)
def test_user_errors_are_one_line(setup, capsys, extra, message):
    models, image_path, _ = setup
    assert main(["attack", "--models", str(models), "--image", str(image_path), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_files_are_user_errors(setup, tmp_path, capsys):
    models, image_path, _ = setup
    assert (
        main(["attack", "--models", str(tmp_path / "none"), "--image", str(image_path), "--attribute", "Smiling"]) == 2
    )
    assert "model folder not found" in capsys.readouterr().err
    bad = tmp_path / "page.jpg"
    bad.write_text("<html>not an image</html>")
    assert main(["attack", "--models", str(models), "--image", str(bad), "--attribute", "Smiling"]) == 2
    assert "web page" in capsys.readouterr().err
