"""What the Home page says about a loaded bank: name, attributes and accuracy (no Streamlit here).

Accuracy comes from the evaluation documents in the model folder when there are any (JSON files in
ffa_lab.models.evaluate.Evaluation.to_json form, e.g. ``evaluation.json`` written by ``ffa-lab evaluate``, or the
``val`` part of ``training_summary.json``), else from each checkpoint's own ``metrics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ffa_lab.models.checkpoint import LoadedBank

ANCHORS_MEAN = {"LNets+ANet (Liu et al. 2015)": 87.3, "MOON (Rudd et al. 2016)": 90.94}


@dataclass(frozen=True)
class EvaluationDoc:
    """One evaluation found for the bank: where it came from and its per-attribute table."""

    source: str
    mean_accuracy: float | None
    mean_balanced_accuracy: float | None
    n: int | None
    table: pd.DataFrame  # index attribute; columns accuracy, balanced_accuracy (%)


def _from_document(source: str, doc: dict) -> EvaluationDoc | None:
    attributes = doc.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        return None
    rows = {
        name: {"accuracy": v.get("accuracy"), "balanced_accuracy": v.get("balanced_accuracy")}
        for name, v in attributes.items()
        if isinstance(v, dict) and "accuracy" in v
    }
    if not rows:
        return None
    table = pd.DataFrame.from_dict(rows, orient="index")
    return EvaluationDoc(
        source=source,
        mean_accuracy=doc.get("mean_accuracy", float(table["accuracy"].mean())),
        mean_balanced_accuracy=doc.get("mean_balanced_accuracy"),
        n=doc.get("n"),
        table=table,
    )


def evaluations(loaded: LoadedBank) -> list[EvaluationDoc]:
    """Every evaluation of this bank that can be found, best source first (folder documents, then checkpoints)."""
    found: list[EvaluationDoc] = []
    folder = Path(loaded.folder)
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(doc, dict):
            continue
        for part, label in (
            (doc, path.name),
            (doc.get("test"), f"{path.name} (test)"),
            (doc.get("val"), f"{path.name} (validation)"),
        ):
            if isinstance(part, dict) and (ev := _from_document(label, part)) is not None:
                found.append(ev)
                break
    rows = {
        name: {
            "accuracy": m["metrics"].get("val_accuracy"),
            "balanced_accuracy": m["metrics"].get("val_balanced_accuracy"),
        }
        for name, m in loaded.metadata.items()
        if isinstance(m.get("metrics"), dict) and "val_accuracy" in m["metrics"]
    }
    if rows:
        table = pd.DataFrame.from_dict(rows, orient="index")
        n = next(iter(loaded.metadata.values()))["metrics"].get("n_val")
        found.append(
            EvaluationDoc(
                "checkpoint metadata (validation)",
                float(table["accuracy"].mean()),
                float(table["balanced_accuracy"].mean()),
                n,
                table,
            )
        )
    return found


def bank_name(loaded: LoadedBank) -> str:
    """A human name: the folder name, the family and the architecture's name."""
    arch = loaded.bank.arch
    size = f"{arch.input_size[0]}x{arch.input_size[1]}"
    return f"{Path(loaded.folder).name} ({loaded.family}: {arch.name}, input {size})"


def training_facts(loaded: LoadedBank) -> dict:
    """A few facts from the first checkpoint's training record (epochs, data fingerprint)."""
    meta = next(iter(loaded.metadata.values()))
    training = meta.get("training") or {}
    return {
        "epochs": training.get("epochs"),
        "balance": training.get("balance"),
        "data_fingerprint": meta.get("data_fingerprint"),
        "parameters": sum(p.numel() for p in loaded.bank.parameters()),
    }
