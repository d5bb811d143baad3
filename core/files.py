"""Writing files so that a reader never sees half of one: the one atomic writer and the one JSON writer.

A leaf (imports nothing of ours): checkpoints, training state, results folders, the report and the
CLI's ``--json`` outputs all write through :func:`atomic_write_bytes`, and every JSON document goes
through :func:`write_json` (indent 1, NaN/inf as null, numpy scalars as numbers), so the same document
gives the same bytes whoever writes it (docs/results-format.md).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file.

    The temporary name ``.<name>.<uuid>.tmp`` is unique across threads, processes and the nodes of a
    cluster that share the folder; a kill before the rename leaves that hidden file, never ``path``
    half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, tuples as lists, keys as strings, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def json_text(document: Any) -> str:
    """``document`` as the indented JSON text every writer uses (strict JSON: NaN/inf become null)."""
    return json.dumps(json_safe(document), indent=1, allow_nan=False)


def write_json(path: str | Path, document: Any) -> None:
    """Atomically write ``document`` as :func:`json_text`."""
    atomic_write_bytes(Path(path), json_text(document).encode())


def remove_temporaries(folder: Path) -> list[str]:
    """Delete the temporary files a killed writer left directly in ``folder`` (``.<name>.<uuid>.tmp``);
    the names removed. Call it only where no other writer is active (the final merge of a run)."""
    removed = []
    for path in Path(folder).glob(".*.tmp"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
