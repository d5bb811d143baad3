"""Checkpoints: round trip, self-description, and refusal of bad files with clear messages."""

import json
import pickle

import pytest
import torch

from ffa_lab.models.checkpoint import CheckpointError, load_bank, read_network, save_bank


def _save(tiny_bank, folder):
    return save_bank(folder, tiny_bank, {name: {"metrics": {"val_accuracy": 90.0}} for name in tiny_bank.attributes})


def test_round_trip_equals_the_saved_bank(tiny_bank, tmp_path):
    _save(tiny_bank, tmp_path)
    loaded = load_bank(tmp_path)
    images = torch.rand(2, 3, 40, 34) * 255
    # loading reorders to CelebA attribute order: Male, Smiling, Young
    assert loaded.attributes == ["Male", "Smiling", "Young"]
    order = [tiny_bank.attributes.index(a) for a in loaded.attributes]
    torch.testing.assert_close(loaded.bank(images), tiny_bank(images)[:, order], rtol=1e-4, atol=1e-5)
    meta = loaded.metadata["Smiling"]
    assert meta["format_version"] == 1 and meta["architecture"]["channels"] == [4, 6, 8, 8]
    assert meta["preprocessing"]["resize"]["size_hw"] == [32, 32] and meta["metrics"]["val_accuracy"] == 90.0
    assert loaded.refused == {}


def test_bad_files_are_refused_and_good_ones_load(tiny_bank, tmp_path):
    paths = _save(tiny_bank, tmp_path)
    data = paths[0].read_bytes()
    paths[0].write_bytes(data[: len(data) // 2])  # truncated Smiling
    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"x": 1}))
    loaded = load_bank(tmp_path)
    assert loaded.attributes == ["Male", "Young"]
    assert "truncated" in loaded.refused["Smiling.safetensors"] or "corrupt" in loaded.refused["Smiling.safetensors"]
    assert "pickle" in loaded.refused["evil.pt"]


class _Boom:
    def __reduce__(self):
        return (exec, ("open('PWNED', 'w').write('x')",))


def test_malicious_pickle_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("Smiling.safetensors", "Male.pt"):
        (tmp_path / name).write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(CheckpointError):
        load_bank(tmp_path)
    assert not (tmp_path / "PWNED").exists()


def _rewrite_metadata(path, change):
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["ffa_lab"])
    change(meta)
    header["__metadata__"]["ffa_lab"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + n :])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda m: m.update(format_version=99), "format version 99 is not supported"),
        (lambda m: m.update(attribute="Sparkly"), "unknown attribute 'Sparkly'"),
        (lambda m: m["architecture"].update(hidden=9), "has shape"),
    ],
)
def test_mismatched_metadata_is_refused(tiny_bank, tmp_path, change, needle):
    path = _save(tiny_bank, tmp_path)[0]
    _rewrite_metadata(path, change)
    with pytest.raises(CheckpointError, match=needle):
        read_network(path)


def test_not_ours_and_missing_folder(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}              ")
    with pytest.raises(CheckpointError, match="no ffa-lab metadata"):
        read_network(tmp_path / "x.safetensors")
    with pytest.raises(CheckpointError, match="model folder not found"):
        load_bank(tmp_path / "nope")


def test_a_header_length_whose_first_byte_is_0x80_is_not_mistaken_for_pickle(tiny_bank, tmp_path):
    """The 8-byte header length of a safetensors file may start with 0x80, pickle's magic byte."""
    (path,) = _save(tiny_bank.subset([0]), tmp_path)
    padding = 0
    while path.read_bytes()[0] != 0x80:
        padding += 1
        _rewrite_metadata(path, lambda m, n=padding: m.update(note="x" * n))
    loaded = load_bank(tmp_path)
    assert loaded.attributes == ["Smiling"] and loaded.refused == {}
    assert loaded.metadata["Smiling"]["note"] == "x" * padding
