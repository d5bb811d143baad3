"""The CLI's train / evaluate / score contract, called as main(argv)."""

import json

from ffa_lab.cli.main import main


def test_train_evaluate_score_round_trip(tiny_celeba, tmp_path, capsys):
    models = tmp_path / "models"
    argv = [
        "train",
        "--celeba",
        str(tiny_celeba),
        "--out",
        str(models),
        "--attributes",
        "Smiling,5_o_Clock_Shadow",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    assert sorted(p.name for p in models.glob("*.safetensors")) == [
        "5_o_Clock_Shadow.safetensors",
        "Smiling.safetensors",
    ]
    report = tmp_path / "r.json"
    assert (
        main(
            [
                "evaluate",
                "--models",
                str(models),
                "--celeba",
                str(tiny_celeba),
                "--split",
                "test",
                "--json",
                str(report),
            ]
        )
        == 0
    )
    result = json.loads(report.read_text())
    assert set(result["attributes"]) == {"5_o_Clock_Shadow", "Smiling"}
    assert result["attributes"]["Smiling"]["n"] == 16
    assert 0 <= result["mean_accuracy"] <= 100 and 0 <= result["mean_balanced_accuracy"] <= 100
    assert "MEAN" in capsys.readouterr().out
    scored = tmp_path / "s.json"
    image = tiny_celeba / "img_align_celeba" / "000001.jpg"
    assert main(["score", "--models", str(models), "--image", str(image), "--json", str(scored)]) == 0
    document = json.loads(scored.read_text())
    assert set(document) == {"scores", "predictions"}
    assert all(document["predictions"][k] == (1 if v >= 0 else -1) for k, v in document["scores"].items())


def test_user_errors_are_one_line_not_tracebacks(tmp_path, capsys):
    assert main(["score", "--models", str(tmp_path / "none"), "--image", "x.jpg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ffa-lab score: error: model folder not found") and "Traceback" not in err
    assert main(["evaluate", "--models", str(tmp_path), "--celeba", str(tmp_path / "nope")]) == 2
    assert "no usable checkpoint" in capsys.readouterr().err
