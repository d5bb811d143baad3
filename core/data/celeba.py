"""The official CelebA layout: label, partition and landmark files, and the image folder.

Layout (any subset of the 202,599 official images is fine)::

    root/img_align_celeba/*.jpg         aligned JPEGs, any resolution (178x218 official)
    root/list_attr_celeba.txt           count line, header of 40 names, rows "id  ±1 x 40"
    root/list_eval_partition.txt        rows "id split" (0 train, 1 val, 2 test), LF or CRLF
    root/list_landmarks_align_celeba.txt  optional: count, header, rows "id x y x y ... (5 points)"

Every problem raises :class:`CelebAFormatError` naming the file, the 1-based line and the problem.
Parsing is vectorised: the fast path checks the whole file with NumPy and only on failure walks
the lines to locate the first error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.errors import CelebAFormatError

SPLITS = {"train": 0, "val": 1, "test": 2}
LANDMARK_NAMES = ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise CelebAFormatError(path, None, "file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CelebAFormatError(path, line, "not UTF-8/ASCII text (wrong encoding?)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class AttributeTable:
    """Parsed ``list_attr_celeba.txt``: ids (N,) str and labels (N, 40) int8 in {-1, +1}."""

    ids: np.ndarray
    labels: np.ndarray
    path: str = ""

    def index_of(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.ids.tolist())}


def _locate_attr_error(path: Path, lines: list[str], n_attr: int) -> None:
    seen: set[str] = set()
    for offset, line in enumerate(lines[2:]):
        lineno = offset + 3
        if not line.strip():
            continue
        tokens = line.split()
        if len(tokens) != n_attr + 1:
            raise CelebAFormatError(
                path, lineno, f"expected {n_attr + 1} columns (id + {n_attr} labels), found {len(tokens)}"
            )
        for col, tok in enumerate(tokens[1:]):
            if tok not in ("1", "-1"):
                raise CelebAFormatError(path, lineno, f"label {tok!r} for {ATTRIBUTES[col]} is not +1 or -1")
        if tokens[0] in seen:
            raise CelebAFormatError(path, lineno, f"duplicate image id {tokens[0]!r}")
        seen.add(tokens[0])


def _fast_label_rows(body: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Vectorised parse of 'id ±1 x 40' rows; None when anything looks off (then we locate it)."""
    try:
        pairs = [line.split(None, 1) for line in body]
        rest = b"\n".join([p[1] for p in pairs]) + b"\n"
    except IndexError:
        return None
    # Every token must be exactly "1" or "-1": no other characters, no "11", "1-1" or lone "-".
    if b"0" in rest or b"11" in rest or b"1-" in rest or rest.count(b"-") != rest.count(b"-1"):
        return None
    packed = np.frombuffer(rest.translate(None, b" \t").replace(b"-1", b"0"), np.uint8)
    n_cols = len(ATTRIBUTES) + 1
    if packed.size != len(pairs) * n_cols:
        return None
    table = packed.reshape(-1, n_cols)
    if not (table[:, -1] == 10).all() or not ((table[:, :-1] == 48) | (table[:, :-1] == 49)).all():
        return None
    labels = (table[:, :-1].astype(np.int8) - 48) * 2 - 1
    ids = np.array([p[0].decode("utf-8", "replace") for p in pairs])
    return ids, labels


def parse_attributes(path: str | Path) -> AttributeTable:
    """Parse an official attribute file (count line, header of the 40 names, ±1 rows).

    Any whitespace between columns is accepted; 202,599 rows parse in about 0.4 s.
    """
    path = Path(path)
    text = _read_text(path)
    lines = text.split("\n")
    if len(lines) < 2:
        raise CelebAFormatError(path, 1, "missing count line and header")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise CelebAFormatError(path, 1, f"first line should be the image count, got {lines[0][:40]!r}") from None
    header = lines[1].split()
    if tuple(header) != ATTRIBUTES:
        bad = next((i for i, (a, b) in enumerate(zip(header, ATTRIBUTES, strict=False)) if a != b), None)
        detail = (
            f"column {bad + 1} is {header[bad]!r}, expected {ATTRIBUTES[bad]!r}"
            if bad is not None
            else f"found {len(header)} names, expected 40"
        )
        raise CelebAFormatError(path, 2, f"header is not the 40 CelebA attribute names: {detail}")
    body = text.encode("utf-8").split(b"\n")[2:]
    while body and not body[-1].strip():
        body.pop()
    parsed = None if any(not line.strip() for line in body) else _fast_label_rows(body)
    if parsed is None or len(np.unique(parsed[0])) != len(parsed[0]):
        _locate_attr_error(path, lines, len(ATTRIBUTES))
        raise CelebAFormatError(path, None, "rows do not form an id + 40 labels table")
    ids, labels = parsed
    if count != len(ids):
        raise CelebAFormatError(path, 1, f"count line says {count} images but {len(ids)} rows follow")
    return AttributeTable(ids=ids, labels=labels, path=str(path))


def parse_partition(path: str | Path) -> dict[str, int]:
    """Parse ``list_eval_partition.txt`` (LF or CRLF): image id -> 0 train / 1 val / 2 test."""
    path = Path(path)
    lines = _read_text(path).split("\n")
    tokens = np.array(" ".join(lines).split())
    ok = tokens.size % 2 == 0
    if ok:
        pairs = tokens.reshape(-1, 2)
        ok = bool(np.isin(pairs[:, 1], ("0", "1", "2")).all())
    if not ok:
        for lineno, line in enumerate(lines, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise CelebAFormatError(path, lineno, f"expected 'id split', found {len(parts)} columns")
            if parts[1] not in ("0", "1", "2"):
                raise CelebAFormatError(path, lineno, f"split {parts[1]!r} is not 0, 1 or 2")
    return dict(zip(pairs[:, 0].tolist(), pairs[:, 1].astype(int).tolist(), strict=True))


def parse_landmarks(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``list_landmarks_align_celeba.txt``: ids (N,), points (N, 5, 2) float32 pixels."""
    path = Path(path)
    lines = _read_text(path).split("\n")
    ids, points = [], []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 11:
            raise CelebAFormatError(path, lineno, f"expected id + 10 coordinates, found {len(parts)} columns")
        try:
            points.append([float(v) for v in parts[1:]])
        except ValueError:
            raise CelebAFormatError(path, lineno, "coordinates must be numbers") from None
        ids.append(parts[0])
    return np.array(ids), np.array(points, dtype=np.float32).reshape(-1, 5, 2)


@dataclass(frozen=True)
class CelebA:
    """A CelebA-layout folder: ids and labels of the images that are present, per split.

    ``split_ids(split)`` lists the ids of that partition that have labels *and* image files.
    Label rows without an image file raise, unless ``allow_missing_images`` is set.
    """

    root: Path
    table: AttributeTable
    partition: dict[str, int]
    image_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_dir", self.root / "img_align_celeba")

    def labels_for(self, ids: list[str] | np.ndarray) -> np.ndarray:
        index = self.table.index_of()
        return self.table.labels[[index[i] for i in ids]]

    def split_ids(self, split: str) -> list[str]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
        code = SPLITS[split]
        return [i for i in self.table.ids.tolist() if self.partition[i] == code]

    def image_path(self, image_id: str) -> Path:
        """Path of an image id; ids with path separators are refused (no reading outside root)."""
        if "/" in image_id or "\\" in image_id or image_id.startswith(".") or image_id not in self.partition:
            raise KeyError(f"unknown image id {image_id!r}")
        return self.image_dir / image_id

    def fingerprint(self) -> str:
        """Short hash of the ids and labels, recorded in checkpoints and results."""
        digest = hashlib.sha256(self.table.ids.astype("U").tobytes() + self.table.labels.tobytes())
        return digest.hexdigest()[:16]


def load_celeba(root: str | Path, *, check_images: bool = True) -> CelebA:
    """Open a CelebA-layout folder; raise :class:`CelebAFormatError` on any inconsistency."""
    root = Path(root)
    if not root.is_dir():
        raise CelebAFormatError(root, None, "dataset folder not found")
    attr_path = root / "list_attr_celeba.txt"
    part_path = root / "list_eval_partition.txt"
    table = parse_attributes(attr_path)
    partition = parse_partition(part_path)
    missing = [i for i, image_id in enumerate(table.ids.tolist()) if image_id not in partition]
    if missing:
        raise CelebAFormatError(
            part_path, None, f"no partition entry for {table.ids[missing[0]]} ({len(missing)} ids missing)"
        )
    if check_images:
        image_dir = root / "img_align_celeba"
        if not image_dir.is_dir():
            raise CelebAFormatError(image_dir, None, "image folder not found")
        present = {p.name for p in image_dir.iterdir()}
        for row, image_id in enumerate(table.ids.tolist()):
            if image_id not in present:
                raise CelebAFormatError(attr_path, row + 3, f"image file {image_id} is missing from {image_dir}")
    return CelebA(root=root, table=table, partition=partition)
