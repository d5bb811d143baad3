"""A shared-trunk network's checkpoint: one ``model.safetensors`` per folder, JSON metadata inside.

The safetensors header's metadata holds one JSON document under the key ``ffa_lab`` (as the
per-attribute files, docs/results-format.md)::

    {"format_version": 1, "family": "multi-task", "attributes": [...40 names...],
     "architecture": {...SharedArch...}, "preprocessing": {...}, "training": {...},
     "training_time": {...}, "data_fingerprint": "...", "thresholds": {...}, "metrics": {...}}

A per-attribute file has no ``family`` key (it predates families; its family is ``per-attribute``).
Loading never unpickles, checks version, family, attribute names, architecture and every tensor's
shape and finiteness, and refuses a bad file with :class:`CheckpointError`.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save as save_safetensors

from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.errors import CheckpointError
from ffa_lab.models.checkpoint import (
    FORMAT_VERSION,
    METADATA_KEY,
    atomic_write_bytes,
    checked_tensors,
    preprocessing_doc,
    read_checked_bytes,
    read_header_metadata,
)
from ffa_lab.models.shared import SharedArch, SharedTrunkNet

SHARED_FILE = "model.safetensors"
SHARED_FAMILIES = ("multi-task", "resnet")


def save_shared(path: Path, model: SharedTrunkNet, meta: dict) -> None:
    """Write ``model`` (all outputs) and ``meta`` (training, metrics, thresholds ...) atomically."""
    document = {
        "format_version": FORMAT_VERSION,
        "family": model.family,
        "attributes": list(model.attributes),
        "architecture": model.arch.to_json(),
        "preprocessing": preprocessing_doc(model.arch),
        **meta,
    }
    tensors = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    atomic_write_bytes(Path(path), save_safetensors(tensors, metadata={METADATA_KEY: json.dumps(document)}))


def read_shared(path: str | Path) -> tuple[dict, SharedTrunkNet]:
    """(metadata, eval-mode model without gradients) from one shared-trunk checkpoint file."""
    path = Path(path)
    data = read_checked_bytes(path)
    meta = read_header_metadata(data, path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name}: format version {meta.get('format_version')!r} is not supported (expected {FORMAT_VERSION})"
        )
    family = meta.get("family")
    if family not in SHARED_FAMILIES:
        raise CheckpointError(
            f"{path.name}: family {family!r} is not a shared-trunk family ({', '.join(SHARED_FAMILIES)})"
        )
    attributes = meta.get("attributes")
    if not isinstance(attributes, list) or not attributes or any(a not in ATTRIBUTE_INDEX for a in attributes):
        raise CheckpointError(f"{path.name}: the attribute list is missing or names an unknown attribute")
    if len(set(attributes)) != len(attributes):
        raise CheckpointError(f"{path.name}: an attribute is listed twice")
    try:
        model = SharedTrunkNet(attributes, SharedArch.from_json(meta["architecture"]), family)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: architecture metadata is invalid ({exc})") from None
    model.load_state_dict(checked_tensors(data, path, model.state_dict()))
    return meta, model.eval().requires_grad_(False)


def per_attribute_view(meta: dict) -> dict[str, dict]:
    """The file's metadata as LoadedBank.metadata expects it: one document per attribute (family,
    training, data fingerprint, threshold, validation metrics), all views of the one file."""
    val = ((meta.get("metrics") or {}).get("val") or {}).get("attributes") or {}
    n_val = (meta.get("metrics") or {}).get("n_val")
    out = {}
    for name in meta["attributes"]:
        row = val.get(name) or {}
        out[name] = {
            "format_version": meta["format_version"],
            "family": meta["family"],
            "attribute": name,
            "architecture": meta["architecture"],
            "preprocessing": meta.get("preprocessing"),
            "training": meta.get("training"),
            "training_time": meta.get("training_time"),
            "data_fingerprint": meta.get("data_fingerprint"),
            "threshold": (meta.get("thresholds") or {}).get(name),
            "metrics": {
                "val_accuracy": row.get("accuracy"),
                "val_balanced_accuracy": row.get("balanced_accuracy"),
                "n_val": n_val,
            }
            if row
            else {},
        }
    return out
