"""What a new user meets on the command line (issue 12): --models defaults to the shipped bank from any
folder, an offline `models download` names the alternatives, `attack --out` says what it wrote and
`--out DIR` fills a folder."""

from __future__ import annotations

import socket

import pytest

from ffa_lab.cli.main import build_parser, main
from ffa_lab.data.images import decode_image
from ffa_lab.models.shipped import DEFAULT_MODELS

pytestmark = pytest.mark.usefixtures("torch_one_thread")

WITH_MODELS = {
    "attack": ["--image", "x.png", "--attribute", "Smiling"],
    "score": ["--image", "x.png"],
    "evaluate": ["--celeba", "c"],
    "study": [],
    "natural": [],
    "models": ["list"],
}


@pytest.mark.parametrize("command", list(WITH_MODELS))
def test_every_models_option_defaults_to_the_shipped_bank(command, monkeypatch, tmp_path):
    monkeypatch.delenv("FFA_LAB_MODELS", raising=False)
    monkeypatch.chdir(tmp_path)  # not the repository: the default must not depend on the current folder
    argv = [command, *WITH_MODELS[command]]
    assert build_parser().parse_args(argv).models == str(DEFAULT_MODELS)
    monkeypatch.setenv("FFA_LAB_MODELS", str(tmp_path / "mine"))  # the app's variable, honoured the same way
    assert build_parser().parse_args(argv).models == str(tmp_path / "mine")


def test_models_list_without_models_lists_the_shipped_bank(default_models, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("FFA_LAB_MODELS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["models", "list"]) == 0
    assert f"40 network(s) in {default_models.resolve()}" in capsys.readouterr().out


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: connecting is refused


def test_offline_download_names_the_alternatives(tmp_path, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/face_detection_yunet_2023mar.onnx"
    assert main(["models", "download", "--url", url, "--dest", str(tmp_path), "--timeout", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ffa-lab models: error: download failed") and len(err.splitlines()) == 1
    for alternative in ("--yunet FILE", "FFA_LAB_YUNET=FILE", "--url file://", "bundled aligner"):
        assert alternative in err


def _attack(models, image, *extra) -> list[str]:
    return ["attack", "--models", str(models), "--image", str(image), "--no-pass", "--device", "cpu", *extra]


def test_attack_out_file_prints_the_file_it_wrote(setup, tmp_path, capsys):
    models, image, _ = setup
    out = tmp_path / "adv.png"
    assert main(_attack(models, image, "--attribute", "Smiling", "--out", str(out))) == 0
    assert f"wrote {out}" in capsys.readouterr().out.splitlines()
    assert decode_image(out).shape == decode_image(image).shape


def test_attack_all_out_dir_creates_the_folder_with_one_png_per_attribute(setup, tmp_path, capsys):
    models, image, _ = setup
    folder = tmp_path / "adversarials"
    assert main(_attack(models, image, "--attribute", "all", "--out", str(folder))) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["Male.png", "Smiling.png"]
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == f"wrote 2 adversarial PNGs into new folder {folder}: Male.png, Smiling.png"
    assert main(_attack(models, image, "--attribute", "Male", "--out", str(folder))) == 0  # an existing folder
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote 1 adversarial PNG into {folder}: Male.png"


def test_attack_out_with_another_image_suffix_is_refused_before_attacking(setup, tmp_path, capsys):
    models, image, _ = setup
    assert main(_attack(models, image, "--attribute", "Smiling", "--out", str(tmp_path / "adv.jpg"))) == 2
    err = capsys.readouterr().err
    assert "--out must be a .png file or a folder" in err and not (tmp_path / "adv.jpg").exists()
