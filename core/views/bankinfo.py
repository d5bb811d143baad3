"""What the Home page says about a loaded bank: name, attributes and accuracy (no Streamlit here).

Accuracy comes from the evaluation documents in the model folder when there are any (JSON files in
ffa_lab.models.evaluate.Evaluation.to_json form: ``evaluation.json``, the test-split evaluation shipped with
the default bank and written by ``ffa-lab evaluate --split test --json``, or the ``val`` part of
``training_summary.json``), and from each checkpoint's own ``metrics``. Every figure carries its split,
image count and file (:attr:`EvaluationDoc.label`); the test evaluation is the headline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ffa_lab.models.checkpoint import LoadedBank

ANCHORS_MEAN = {"LNets+ANet (Liu et al. 2015)": 87.3, "MOON (Rudd et al. 2016)": 90.94}


EVALUATION_FILE = "evaluation.json"  # `ffa-lab evaluate --split test --json` output shipped in the model folder
SPLIT_WORDS = {"test": "test split", "val": "validation split", "train": "training split"}


@dataclass(frozen=True)
class EvaluationDoc:
    """One evaluation found for the bank: where it came from and its per-attribute table.

    ``split`` is 'test', 'val', 'train' or None (unknown); ``during_training`` marks the validation
    numbers recorded by training (after calibration on those same images); ``source`` names the file.
    """

    source: str
    mean_accuracy: float | None
    mean_balanced_accuracy: float | None
    n: int | None
    table: pd.DataFrame  # index attribute; columns accuracy, balanced_accuracy (%)
    split: str | None = None
    during_training: bool = False

    @property
    def label(self) -> str:
        """Where the numbers come from, for a caption: 'test split, 5,000 images (evaluation.json)'."""
        where = SPLIT_WORDS.get(self.split or "", "unknown split")
        if self.during_training:
            where = f"{where}, measured during training"
        count = f", {self.n:,} images" if self.n else ""
        return f"{where}{count} ({self.source})"


def _from_document(source: str, doc: dict, split: str | None, during_training: bool) -> EvaluationDoc | None:
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
        split=doc.get("split", split),
        during_training=during_training,
    )


def _folder_documents(folder: Path) -> list[EvaluationDoc]:
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(doc, dict):
            continue
        # an evaluate document itself, or a training summary's "test" / "val" part
        for part, split, training in (
            (doc, None, False),
            (doc.get("test"), "test", False),
            (doc.get("val"), "val", True),
        ):
            if isinstance(part, dict) and (ev := _from_document(path.name, part, split, training)) is not None:
                found.append(ev)
                break
    return found


def _checkpoint_metrics(loaded: LoadedBank) -> EvaluationDoc | None:
    rows = {
        name: {
            "accuracy": m["metrics"].get("val_accuracy"),
            "balanced_accuracy": m["metrics"].get("val_balanced_accuracy"),
        }
        for name, m in loaded.metadata.items()
        if isinstance(m.get("metrics"), dict) and "val_accuracy" in m["metrics"]
    }
    if not rows:
        return None
    table = pd.DataFrame.from_dict(rows, orient="index")
    n = next(iter(loaded.metadata.values()))["metrics"].get("n_val")
    mean, balanced = float(table["accuracy"].mean()), float(table["balanced_accuracy"].mean())
    return EvaluationDoc("checkpoint metadata", mean, balanced, n, table, split="val", during_training=True)


def _rank(doc: EvaluationDoc) -> tuple:
    """Headline order: a test evaluation first (the number to quote), the biggest first, then the rest."""
    return (doc.split != "test", doc.during_training, doc.source != EVALUATION_FILE, -(doc.n or 0))


def evaluations(loaded: LoadedBank) -> list[EvaluationDoc]:
    """Every evaluation of this bank that can be found, the headline first (see :func:`_rank`): the
    folder's JSON documents (``evaluation.json`` from ``ffa-lab evaluate``, the training summary's
    validation part), then the checkpoints' own validation metrics. A folder without any JSON file is fine."""
    found = _folder_documents(Path(loaded.folder))
    metrics = _checkpoint_metrics(loaded)
    same = [d for d in found if metrics and (d.split, d.n) == (metrics.split, metrics.n)]
    if metrics is not None and not any(_same_number(d.mean_accuracy, metrics.mean_accuracy) for d in same):
        found.append(metrics)  # the checkpoints' copy of numbers a folder document already has is left out
    return sorted(found, key=_rank)


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


def _same_number(a: float | None, b: float | None, tolerance: float = 0.05) -> bool:
    """Two accuracies (percent) that agree to ``tolerance``; an unknown one agrees with nothing."""
    return a is not None and b is not None and abs(a - b) < tolerance
