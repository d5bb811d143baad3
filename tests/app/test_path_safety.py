"""Path safety in the app: folders typed into the sidebar and ids in the URL cannot read outside the
configured folders (FFA_LAB_ROOTS, ffa_lab.views.settings); the page says why and keeps working."""

from __future__ import annotations

from tests.app.test_pages import page, problems


def test_a_model_folder_outside_the_roots_is_refused_before_reading(tmp_path):
    outside = tmp_path / "models"  # a real folder with a checkpoint-looking file: never opened
    outside.mkdir()
    (outside / "Smiling.safetensors").write_bytes(b"not read")
    at = page("pages/1_Inspect_Face.py").run()
    for typed in (str(outside), "/etc", "../../../../etc", "assets/../../.."):
        at.sidebar.text_input(key="_w_models").set_value(typed).run()
        assert not at.exception
        assert any("outside the folders this server may read" in e.value for e in at.sidebar.error), typed
    at.sidebar.text_input(key="_w_models").set_value("assets/models/default").run()
    assert problems(at) == []  # back to an allowed folder: the page works again


def test_a_dataset_folder_outside_the_roots_is_refused(tmp_path):
    at = page("pages/1_Inspect_Face.py").run()
    at.sidebar.text_input(key="_w_dataset").set_value("/etc").run()
    assert not at.exception
    assert any("outside the folders this server may read" in e.value for e in at.sidebar.error)


def test_a_dataset_id_in_the_url_cannot_name_a_file_outside_the_dataset(monkeypatch, tiny_celeba):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(tiny_celeba))
    secret = tiny_celeba.parent / "secret.jpg"
    secret.write_bytes((tiny_celeba / "img_align_celeba" / "000001.jpg").read_bytes())  # a valid image
    for ref in ("dataset:../secret.jpg", "dataset:..%2Fsecret.jpg", "dataset:/etc/passwd", "dataset:.hidden"):
        at = page("pages/1_Inspect_Face.py", face=ref).run()
        assert not at.exception, ref
        assert any("is not in the dataset" in e.value for e in at.error), (ref, [e.value for e in at.error])
