"""CelebA layout parsing: valid variants parse, every malformed file names file, line and problem."""

from pathlib import Path

import numpy as np
import pytest

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebAFormatError, load_celeba, parse_attributes, parse_landmarks, parse_partition

HEADER = " ".join(ATTRIBUTES)


def _row(image_id: str, values, sep: str = " ") -> str:
    return image_id + sep + sep.join(f"{v:2d}" for v in values)


def _attr_file(tmp_path: Path, rows: list[str], count: int | None = None, header: str = HEADER) -> Path:
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text(f"{len(rows) if count is None else count}\n{header}\n" + "\n".join(rows) + "\n")
    return path


def test_irregular_spacing_and_crlf_parse(tmp_path):
    values = np.tile([1, -1], 20)
    path = tmp_path / "list_attr_celeba.txt"
    text = (
        f"2\r\n{HEADER}\r\n{_row('000001.jpg', values)}\r\n000002.jpg\t" + "   ".join(str(-v) for v in values) + "\r\n"
    )
    path.write_bytes(text.encode())
    table = parse_attributes(path)
    assert table.ids.tolist() == ["000001.jpg", "000002.jpg"]
    assert table.labels.dtype == np.int8
    np.testing.assert_array_equal(table.labels[0], values)
    np.testing.assert_array_equal(table.labels[1], -values)


@pytest.mark.parametrize(
    ("rows", "line", "needle"),
    [
        ([_row("000001.jpg", [1] * 40), _row("000002.jpg", [1] * 39)], 4, "expected 41 columns"),
        ([_row("000001.jpg", [1] * 39 + [0])], 3, "label '0' for Young is not +1 or -1"),
        ([_row("000001.jpg", [1] * 40), "000002.jpg " + " ".join(["1"] * 20 + ["yes"] + ["1"] * 19)], 4, "'yes'"),
        ([_row("000001.jpg", [1] * 40), _row("000001.jpg", [-1] * 40)], 4, "duplicate image id"),
    ],
)
def test_malformed_rows_name_file_line_and_problem(tmp_path, rows, line, needle):
    path = _attr_file(tmp_path, rows)
    with pytest.raises(CelebAFormatError) as info:
        parse_attributes(path)
    assert info.value.line == line
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_header_must_be_the_40_names(tmp_path):
    header = HEADER.replace("Smiling", "Smile")
    with pytest.raises(CelebAFormatError, match=r":2: header .* column 32 is 'Smile', expected 'Smiling'"):
        parse_attributes(_attr_file(tmp_path, [_row("000001.jpg", [1] * 40)], header=header))


def test_count_line_must_match(tmp_path):
    with pytest.raises(CelebAFormatError, match=r":1: count line says 5 images but 1 rows follow"):
        parse_attributes(_attr_file(tmp_path, [_row("000001.jpg", [1] * 40)], count=5))


def test_wrong_encoding_is_named(tmp_path):
    path = tmp_path / "list_attr_celeba.txt"
    path.write_bytes(b"1\n" + HEADER.encode() + b"\n\xff\xfe broken\n")
    with pytest.raises(CelebAFormatError, match=r":3: not UTF-8"):
        parse_attributes(path)


def test_partition_lf_crlf_and_errors(tmp_path):
    path = tmp_path / "p.txt"
    path.write_bytes(b"000001.jpg 0\r\n000002.jpg 2\r\n")
    assert parse_partition(path) == {"000001.jpg": 0, "000002.jpg": 2}
    path.write_text("000001.jpg 0\n000002.jpg 7\n")
    with pytest.raises(CelebAFormatError, match=r"p.txt:2: split '7' is not 0, 1 or 2"):
        parse_partition(path)
    path.write_text("000001.jpg 0 extra\n")
    with pytest.raises(CelebAFormatError, match=r"p.txt:1: expected 'id split', found 3 columns"):
        parse_partition(path)


def test_landmarks_parse_and_errors(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("1\nlefteye_x ...\n000001.jpg 69 109 106 113 77 142 73 152 108 154\n")
    ids, points = parse_landmarks(path)
    assert ids.tolist() == ["000001.jpg"] and points.shape == (1, 5, 2) and points[0, 1, 0] == 106
    path.write_text("1\nheader\n000001.jpg 69 109 106\n")
    with pytest.raises(CelebAFormatError, match=r"l.txt:3: expected id \+ 10 coordinates"):
        parse_landmarks(path)


def test_folder_consistency_errors(tiny_celeba):
    data = load_celeba(tiny_celeba)
    assert len(data.split_ids("train")) == 48 and len(data.split_ids("test")) == 16
    assert data.split_ids("val") == []
    (tiny_celeba / "img_align_celeba" / "000003.jpg").unlink()
    with pytest.raises(CelebAFormatError, match=r"list_attr_celeba.txt:5: image file 000003.jpg is missing"):
        load_celeba(tiny_celeba)
    lines = (tiny_celeba / "list_eval_partition.txt").read_text().splitlines()
    (tiny_celeba / "list_eval_partition.txt").write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(CelebAFormatError, match=r"no partition entry for 000001.jpg"):
        load_celeba(tiny_celeba, check_images=False)


def test_image_ids_cannot_escape_the_folder(tiny_celeba):
    data = load_celeba(tiny_celeba)
    for bad in ("../list_attr_celeba.txt", "/etc/passwd", "..\\x.jpg", "999999.jpg"):
        with pytest.raises(KeyError):
            data.image_path(bad)


def test_full_official_label_files_parse(shared):
    table = parse_attributes(shared / "celeba-labels-full" / "list_attr_celeba.txt")
    partition = parse_partition(shared / "celeba-labels-full" / "list_eval_partition.txt")
    assert table.labels.shape == (202599, 40)
    assert sorted(np.bincount(list(partition.values())).tolist()) == [19867, 19962, 162770]
    assert table.ids[0] == "000001.jpg" and table.labels[0, ATTRIBUTES.index("Attractive")] == 1


def test_shared_subset_loads(shared):
    data = load_celeba(shared / "celeba")
    assert len(data.split_ids("train")) == 10000 and len(data.split_ids("test")) == 5000


def test_extra_images_are_tolerated_and_ignored(tiny_celeba):
    (tiny_celeba / "img_align_celeba" / "999999.jpg").write_bytes(b"not even an image")
    (tiny_celeba / "img_align_celeba" / "notes.txt").write_text("hello")
    data = load_celeba(tiny_celeba)
    assert "999999.jpg" not in data.split_ids("train") + data.split_ids("test")


def test_truncated_label_file_names_the_cut_line(tiny_celeba):
    path = tiny_celeba / "list_attr_celeba.txt"
    text = path.read_text()
    path.write_text(text[: len(text) - 50])  # cut inside the last row, as an interrupted download would
    with pytest.raises(CelebAFormatError, match=r"list_attr_celeba.txt:66: expected 41 columns"):
        load_celeba(tiny_celeba)


def test_old_mac_line_endings_parse(tiny_celeba):
    for name in ("list_attr_celeba.txt", "list_eval_partition.txt"):
        path = tiny_celeba / name
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert len(load_celeba(tiny_celeba).split_ids("test")) == 16


def test_utf16_label_file_is_named_as_an_encoding_problem(tiny_celeba):
    path = tiny_celeba / "list_attr_celeba.txt"
    path.write_bytes(path.read_text().encode("utf-16"))
    with pytest.raises(CelebAFormatError, match=r"list_attr_celeba.txt:1: not UTF-8"):
        load_celeba(tiny_celeba)
