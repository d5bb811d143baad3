"""Manage models: download the YuNet face detector, list the networks in a model folder.

``ffa-lab models download [--url URL] [--dest DIR]`` fetches YuNet from OpenCV Zoo (or URL, including
file://) into the user cache (or DIR) and keeps it only if its SHA-256 is a known release.
``ffa-lab models list --models DIR`` shows each attribute network with its validation metrics, the
files that were refused and why, and which YuNet model alignment would use.
"""

from __future__ import annotations

from ffa_lab.cli.common import add_models_argument
from ffa_lab.faces import yunet_model as yunet


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    download = sub.add_parser("download", help="fetch the YuNet face-detector model (SHA-256 checked)")
    download.add_argument("--url", default=yunet.OFFICIAL_URL, help="where to fetch it (default: OpenCV Zoo)")
    download.add_argument("--dest", default=None, help=f"folder to put it in (default: {yunet.default_model_dir()})")
    download.add_argument("--timeout", type=float, default=60.0, help="network timeout in seconds")
    listing = sub.add_parser("list", help="the networks in a model folder, with metrics and refused files")
    add_models_argument(listing)


# what a user without network access (or behind a proxy) can do instead of downloading
NO_DOWNLOAD = (
    "Without a download: pass a YuNet .onnx file you already have with --yunet FILE or set {env}=FILE; "
    "install such a copy with `ffa-lab models download --url file:///path/to/FILE`; or align with the "
    "bundled aligner, which needs no download"
)


def _download(args) -> int:
    try:
        result = yunet.download_yunet(args.url, args.dest, timeout=args.timeout)
    except yunet.YuNetModelError as exc:
        raise yunet.YuNetModelError(f"{str(exc).rstrip('.')}. {NO_DOWNLOAD.format(env=yunet.ENV_MODEL)}.") from None
    print(f"YuNet {result.release} ({result.size:,} bytes, sha256 {result.sha256}) -> {result.path}")
    if args.dest:
        print(f"alignment finds it with --yunet {result.path} or {yunet.ENV_MODEL}={result.path}")
    return 0


def _metric(meta: dict, key: str) -> str:
    value = (meta.get("metrics") or {}).get(key)
    return f"{value:.2f}" if isinstance(value, (int, float)) else "-"


def _list(args) -> int:
    from ffa_lab.models.checkpoint import load_bank

    loaded = load_bank(args.models)
    if loaded.family == "per-attribute":
        print(f"{len(loaded.attributes)} network(s) in {loaded.folder} (family per-attribute)")
    else:
        print(f"one {loaded.family} network with {len(loaded.attributes)} outputs in {loaded.folder}")
    print(f"{'attribute':<22}{'val acc %':>10}{'balanced %':>12}{'n val':>8}  architecture")
    for name in loaded.attributes:
        meta = loaded.metadata[name]
        n_val = (meta.get("metrics") or {}).get("n_val", "-")
        arch = meta.get("architecture", {})
        shape = f"{arch.get('name', '?')} {'x'.join(str(v) for v in arch.get('input_size', []))}"
        print(
            f"{name:<22}{_metric(meta, 'val_accuracy'):>10}{_metric(meta, 'val_balanced_accuracy'):>12}{n_val!s:>8}  {shape}"
        )
    for file_name, reason in sorted(loaded.refused.items()):
        print(f"refused {file_name}: {reason}")
    try:
        model = yunet.find_yunet()
    except yunet.YuNetModelError as exc:
        print(f"face detector: {exc}")
    else:
        found = f"YuNet at {model}" if model else "none found; alignment uses the coarse Haar fallback"
        print(f"face detector: {found}")
    return 0


def run(args) -> int:
    return _download(args) if args.action == "download" else _list(args)
