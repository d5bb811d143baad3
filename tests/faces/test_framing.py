"""``score`` / ``attack`` without ``--align`` on a picture that is not CelebA-framed warn on stderr (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ffa_lab.cli.main import main
from ffa_lab.data.portraits import bundled_portraits
from ffa_lab.faces.framing import framing_problem
from tests.conftest import REPO, shared_dir


@pytest.fixture(scope="module")
def celeba_crops() -> list[np.ndarray]:
    folder = (shared_dir() or REPO.parent / "shared") / "celeba-fullres-32" / "img_align_celeba"
    if not folder.is_dir():
        pytest.skip("needs ../shared/celeba-fullres-32 (or $FFA_SHARED)")
    return [np.asarray(Image.open(path).convert("RGB")) for path in sorted(folder.glob("*.jpg"))]


def test_celeba_aligned_crops_pass(celeba_crops):
    problems = [framing_problem(image) for image in celeba_crops]
    assert problems.count(None) >= len(celeba_crops) - 1, problems
    half = np.asarray(Image.fromarray(celeba_crops[0]).resize((89, 109), Image.Resampling.LANCZOS))
    assert framing_problem(half) is None  # the half-size training images are CelebA-framed too


def test_photos_and_misplaced_faces_are_flagged(celeba_crops):
    photo = bundled_portraits()["Astronaut (scikit-image)"]()
    assert "not shaped like CelebA" in framing_problem(photo)
    assert "no face" in framing_problem(np.full((218, 178, 3), 120, np.uint8))
    shifted = np.full_like(celeba_crops[1], 128)
    shifted[:, 40:] = celeba_crops[1][:, :-40]  # the face 40 px right of where the template expects it
    zoomed = np.asarray(Image.fromarray(celeba_crops[2]).resize((356, 436)))[109:327, 89:267]  # face twice as big
    for image in (shifted, zoomed):
        problem = framing_problem(image)
        assert problem is not None and ("away from where" in problem or "no face" in problem), problem


def test_score_without_align_warns_on_a_photo_but_not_on_a_crop(tmp_path, capsys, default_models, celeba_crops):
    photo, crop = tmp_path / "astronaut.png", tmp_path / "crop.png"
    Image.fromarray(bundled_portraits()["Astronaut (scikit-image)"]()).save(photo)
    Image.fromarray(celeba_crops[0]).save(crop)
    assert main(["score", "--models", str(default_models), "--image", str(photo)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "not shaped like CelebA" in err and "--align" in err
    assert main(["score", "--models", str(default_models), "--image", str(crop)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_attack_without_align_warns_too(tmp_path, capsys, default_models, celeba_crops):
    photo = tmp_path / "shifted.png"
    shifted = np.full_like(celeba_crops[1], 128)
    shifted[:, 40:] = celeba_crops[1][:, :-40]
    Image.fromarray(shifted).save(photo)
    argv = ["attack", "--models", str(default_models), "--image", str(photo), "--attribute", "Smiling"]
    assert main([*argv, "--no-pass", "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "--align" in err


def test_score_and_attack_take_face_n_with_align(tmp_path, capsys, default_models):
    photo = tmp_path / "hopper.png"
    Image.fromarray(bundled_portraits()["Grace Hopper (matplotlib)"]()).save(photo)
    assert main(["score", "--models", str(default_models), "--image", str(photo), "--align", "--face", "0"]) == 0
    assert "aligned face 0" in capsys.readouterr().err
    assert main(["score", "--models", str(default_models), "--image", str(photo), "--align", "--face", "3"]) == 2
    assert "face 3 does not exist" in capsys.readouterr().err
