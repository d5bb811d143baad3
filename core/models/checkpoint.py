"""Self-describing checkpoints: one safetensors file per attribute network, JSON metadata inside.

A model folder holds ``<Attribute>.safetensors`` files. Each file carries the network's tensors and,
in the safetensors header's metadata, one JSON document under the key ``ffa_lab``::

    {"format_version": 1, "attribute": "Smiling", "architecture": {...ArchConfig...},
     "preprocessing": {...}, "training": {...}, "data_fingerprint": "...", "metrics": {...},
     "threshold": 0.12}

Loading never unpickles (safetensors holds raw tensors only), checks version, attribute name,
architecture agreement and every tensor's shape, and refuses bad files with :class:`CheckpointError`.
``load_bank`` loads every good file of a folder and reports the bad ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from ffa_lab.data.attributes import ATTRIBUTE_INDEX, ATTRIBUTES
from ffa_lab.errors import CheckpointError
from ffa_lab.files import atomic_write_bytes
from ffa_lab.models.bank import ArchConfig, AttributeBank
from ffa_lab.models.family import AttributeModel, family_of

FORMAT_VERSION = 1
METADATA_KEY = "ffa_lab"
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt")
MAX_CHECKPOINT_BYTES = 64 * 2**20


def preprocessing_doc(arch: ArchConfig) -> dict:
    return {
        "input": "uint8 or float RGB in [0, 255], (B, 3, H, W), CelebA aligned framing, any size",
        "crop_fractions_ltrb": list(arch.crop),
        "resize": {"mode": "area", "size_hw": list(arch.input_size)},
        "normalise": {"mean": list(arch.mean), "std": list(arch.std)},
    }


def save_network(path: Path, bank: AttributeBank, k: int, meta: dict) -> None:
    """Save network k of ``bank`` as one self-describing file (atomic)."""
    document = {
        "format_version": FORMAT_VERSION,
        "attribute": bank.attributes[k],
        "architecture": bank.arch.to_json(),
        "preprocessing": preprocessing_doc(bank.arch),
        **meta,
    }
    tensors = {name: t.contiguous() for name, t in bank.network_state(k).items()}
    atomic_write_bytes(Path(path), save_safetensors(tensors, metadata={METADATA_KEY: json.dumps(document)}))


def save_bank(folder: Path, bank: AttributeBank, meta_for: dict[str, dict]) -> list[Path]:
    """Save every network of ``bank`` into ``folder`` as ``<Attribute>.safetensors``."""
    paths = []
    for k, name in enumerate(bank.attributes):
        path = Path(folder) / f"{name}.safetensors"
        save_network(path, bank, k, meta_for.get(name, {}))
        paths.append(path)
    return paths


def read_header_metadata(data: bytes, path: Path) -> dict:
    """The ffa-lab JSON document in a safetensors file's header (``data`` its bytes)."""
    if len(data) < 8:
        raise CheckpointError(f"{path.name}: file is truncated ({len(data)} bytes)")
    header_len = int.from_bytes(data[:8], "little")
    if header_len <= 0 or 8 + header_len > len(data):
        raise CheckpointError(f"{path.name}: not a safetensors file or truncated header")
    try:
        header = json.loads(data[8 : 8 + header_len])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path.name}: safetensors header is not valid JSON (corrupt file)") from None
    meta = (header.get("__metadata__") or {}).get(METADATA_KEY)
    if meta is None:
        raise CheckpointError(f"{path.name}: no ffa-lab metadata; not a checkpoint written by ffa-lab")
    try:
        return json.loads(meta)
    except json.JSONDecodeError:
        raise CheckpointError(f"{path.name}: ffa-lab metadata is not valid JSON") from None


def read_checked_bytes(path: Path) -> bytes:
    """The bytes of a candidate checkpoint file: refuses pickle names and contents, missing and oversized files."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path.name}: pickle-based checkpoints are refused (they can run code); use .safetensors"
        )
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    if path.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path.name}: larger than {MAX_CHECKPOINT_BYTES // 2**20} MB; refused")
    data = path.read_bytes()
    # a safetensors file is an 8-byte header length, then the JSON header: its first byte may well be
    # 0x80 (a length of 128, 384, ...), so the pickle/zip magic is tested only on files that are not that
    header_len = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    looks_safetensors = data[8:9] == b"{" and 0 < header_len <= len(data) - 8
    if not looks_safetensors and (data[:1] == b"\x80" or data[:4] == b"PK\x03\x04"):
        raise CheckpointError(f"{path.name}: this is a pickle/zip (torch.save) file; only safetensors is accepted")
    return data


def read_network(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read and validate one checkpoint: (metadata, tensors of a G=1 bank)."""
    path = Path(path)
    data = read_checked_bytes(path)
    meta = read_header_metadata(data, path)
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: format version {version!r} is not supported (expected {FORMAT_VERSION})")
    attribute = meta.get("attribute")
    if attribute not in ATTRIBUTE_INDEX:
        raise CheckpointError(f"{path.name}: unknown attribute {attribute!r}")
    try:
        arch = ArchConfig.from_json(meta["architecture"])
        expected = AttributeBank([attribute], arch).state_dict()
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: architecture metadata is invalid ({exc})") from None
    return meta, checked_tensors(data, path, expected)


def checked_tensors(data: bytes, path: Path, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensors of ``expected``'s names from a safetensors file, each checked for shape and finiteness."""
    try:
        tensors = load_safetensors(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path.name}: corrupt or truncated tensor data ({exc})") from None
    for name, tensor in expected.items():
        if name not in tensors:
            raise CheckpointError(f"{path.name}: tensor {name!r} is missing")
        if tuple(tensors[name].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{path.name}: tensor {name!r} has shape {tuple(tensors[name].shape)}, expected {tuple(tensor.shape)}"
            )
        if tensors[name].is_floating_point() and not torch.isfinite(tensors[name]).all():
            raise CheckpointError(f"{path.name}: tensor {name!r} holds NaN or infinity")
    return {name: tensors[name] for name in expected}


def folder_family(folder: str | Path) -> str:
    """The family a model folder holds, from its file names and one header (no tensor is read):
    ``multi-task`` / ``resnet`` for a ``model.safetensors``, ``per-attribute`` otherwise, ``unknown``
    for an unreadable shared file."""
    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        return "per-attribute"
    try:
        with open(path, "rb") as handle:
            header_len = int.from_bytes(handle.read(8), "little")
            header = handle.read(min(header_len, MAX_CHECKPOINT_BYTES))
        family = read_header_metadata(header_len.to_bytes(8, "little") + header, path).get("family")
    except (OSError, CheckpointError, AttributeError):
        return "unknown"
    return family if isinstance(family, str) else "unknown"


@dataclass
class LoadedBank:
    """A model of any family built from a folder, with per-attribute metadata and the refused files.

    ``bank`` implements :class:`ffa_lab.models.family.AttributeModel` (a per-attribute
    :class:`AttributeBank` or a shared-trunk network); ``metadata`` has one document per attribute
    (for a shared-trunk model, views of its one file's document)."""

    bank: AttributeModel
    metadata: dict[str, dict]
    folder: Path
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def attributes(self) -> list[str]:
        return self.bank.attributes

    @property
    def family(self) -> str:
        """``per-attribute``, ``multi-task`` or ``resnet`` (files without a family are per-attribute)."""
        return family_of(self.bank)


def load_bank(folder: str | Path) -> LoadedBank:
    """Load a model folder: its ``model.safetensors`` (a shared-trunk family) when there is one, else
    every valid per-attribute checkpoint into one bank in CelebA attribute order.

    Bad per-attribute files are skipped and listed in ``refused``; raises :class:`CheckpointError` when none loads
    or when the good files disagree on architecture.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"model folder not found: {folder}")
    from ffa_lab.models import checkpoint_shared  # it builds on this module

    if (folder / checkpoint_shared.SHARED_FILE).is_file():
        meta, model = checkpoint_shared.read_shared(folder / checkpoint_shared.SHARED_FILE)
        return LoadedBank(bank=model, metadata=checkpoint_shared.per_attribute_view(meta), folder=folder)
    refused: dict[str, str] = {}
    found: dict[str, tuple[dict, dict]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() not in (".safetensors", *PICKLE_SUFFIXES):
            continue
        try:
            meta, tensors = read_network(path)
        except CheckpointError as exc:
            refused[path.name] = str(exc)
            continue
        if meta["attribute"] in found:
            refused[path.name] = f"{path.name}: a second checkpoint for {meta['attribute']}; ignored"
            continue
        found[meta["attribute"]] = (meta, tensors)
    if not found:
        detail = "; ".join(refused.values()) or "no .safetensors files"
        raise CheckpointError(f"no usable checkpoint in {folder}: {detail}")
    names = [a for a in ATTRIBUTES if a in found]
    archs = {json.dumps(found[a][0]["architecture"], sort_keys=True) for a in names}
    if len(archs) > 1:
        raise CheckpointError(f"checkpoints in {folder} use {len(archs)} different architectures; keep one per folder")
    arch = ArchConfig.from_json(found[names[0]][0]["architecture"])
    bank = AttributeBank.from_networks(names, arch, [found[a][1] for a in names]).eval().requires_grad_(False)
    bank.fold_batchnorm()
    return LoadedBank(bank=bank, metadata={a: found[a][0] for a in names}, folder=folder, refused=refused)
