"""The sidebar every page shares (model bank and dataset folders) and the page frame around it.

The folders are remembered for the browser session in ``cfg_models`` / ``cfg_dataset`` (widget state is
dropped on a page switch, so the widgets are re-seeded from these keys) and, while they differ from the
presets (``FFA_LAB_MODELS``, ``FFA_LAB_CELEBA``: ffa_lab.views.settings), in the URL as ``models=`` / ``data=``.
Why a bank could not be loaded is said once, here; pages that need one point to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ffa_lab.data.celeba import CelebA
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.ui import cache, links, state
from ffa_lab.ui.errors import message_for, show_error
from ffa_lab.views.settings import (
    DATASET_HELP,
    apply_torch_threads,
    chosen_model,
    default_models_folder,
    model_choices,
)

# The sidebar's navigation, drawn by :func:`sidebar` (.streamlit/config.toml hides Streamlit's own, whose first
# entry is named after the file app.py, "app"). (script, label, icon); URL paths follow the file names.
NAVIGATION = (
    ("app.py", "Home", "🧑‍🔬"),
    ("pages/1_Inspect_Face.py", "Inspect a face", "🔍"),
    ("pages/2_Flip_Attribute.py", "Flip an attribute", "🎭"),
    ("pages/3_Compare_Attacks.py", "Compare attacks", "⚖️"),
    ("pages/4_Natural_Adversarials.py", "Natural adversarials", "🌱"),
    ("pages/5_Robustness_Dashboard.py", "Robustness dashboard", "📊"),
)

BANK_NEEDED = (
    "This page needs a model bank, and none is loaded: the sidebar says why. Type the path of a folder of "
    "ffa-lab checkpoints (`*.safetensors`) into **Model bank folder**."
)


@dataclass(frozen=True)
class AppContext:
    """What the sidebar resolved: the bank (or why not) and the dataset (or why not)."""

    models_folder: str
    loaded: LoadedBank | None
    model_key: str
    bank_error: str | None
    dataset_folder: str
    celeba: CelebA | None
    dataset_error: str | None

    def require_bank(self) -> LoadedBank:
        """The loaded bank, or stop the page saying so (the reason is shown once, in the sidebar)."""
        if self.loaded is None:
            st.info(BANK_NEEDED, icon="ℹ️")
            st.stop()
        return self.loaded

    def require_dataset(self, what: str) -> CelebA | None:
        """The dataset, or None after saying plainly that ``what`` needs one and how to configure it."""
        if self.celeba is None:
            if self.dataset_error:
                st.error(self.dataset_error, icon="⚠️")
            st.info(f"{what} needs the CelebA images. {DATASET_HELP}", icon="ℹ️")
        return self.celeba


def _folder_input(label: str, widget_key: str, name: str, help_text: str) -> str:
    """A folder field bound to query key ``name`` ('models' or 'data'): a typed folder stays in the URL (so
    it survives a reload) while it differs from the server's preset."""
    return links.control(st.sidebar.text_input, name, label, help=help_text, key=widget_key).strip()


OTHER_FOLDER = "Other folder…"


def _models_input() -> str:
    """A list of the shipped and configured model folders (settings.model_choices) above the free-text
    folder; picking from the list fills the folder, a typed folder that is not listed shows "Other
    folder…". Returns the folder (remembered in ``cfg_models``)."""
    st.session_state.setdefault("cfg_models", default_models_folder())
    choices = model_choices()

    def pick(label: str) -> None:
        if label != OTHER_FOLDER:
            st.session_state["cfg_models"] = dict(choices)[label]

    st.sidebar.selectbox(
        "Model",
        [label for label, _ in choices] + [OTHER_FOLDER],
        help="Shipped model folders (assets/models/) and $FFA_LAB_MODELS; or type any folder below.",
        **state.bind("_w_model_pick", chosen_model(choices, st.session_state["cfg_models"]) or OTHER_FOLDER, pick),
    )
    return _folder_input(
        "Model bank folder",
        "_w_models",
        "models",
        "A folder of ffa-lab checkpoints (one .safetensors per attribute, or one model.safetensors). "
        "Default: assets/models/default.",
    )


def sidebar() -> AppContext:
    """Render the shared sidebar (navigation, settings); load (cached) the bank and the dataset it names."""
    _navigation()
    st.sidebar.markdown("### ffa-lab settings")
    models = _models_input()
    data = _folder_input(
        "Dataset folder (CelebA layout)",
        "_w_dataset",
        "data",
        "img_align_celeba/ + list_attr_celeba.txt + list_eval_partition.txt. Optional.",
    )
    loaded, model_key, bank_error = None, "", None
    try:
        loaded, model_key = cache.bank(models)
        what = "attribute networks" if loaded.family == "per-attribute" else f"outputs of one {loaded.family} network"
        st.sidebar.success(f"{len(loaded.attributes)} {what} loaded", icon="✅")
        if loaded.refused:
            st.sidebar.warning(f"{len(loaded.refused)} file(s) refused: " + "; ".join(loaded.refused.values()))
    except Exception as exc:  # noqa: BLE001 - shown as a message, the page decides whether to stop
        bank_error = message_for(exc, "Loading the model bank")
        st.sidebar.error(bank_error, icon="⚠️")
    celeba, dataset_error = None, None
    if data:
        try:
            celeba = cache.dataset(data)
            st.sidebar.success(f"Dataset: {len(celeba.table.ids):,} labelled images", icon="✅")
        except Exception as exc:  # noqa: BLE001
            dataset_error = message_for(exc, "Opening the dataset")
            st.sidebar.error(dataset_error, icon="⚠️")
    else:
        st.sidebar.caption("No dataset: faces come from the bundled portraits, uploads and the camera.")
    st.sidebar.caption(detector_status())
    return AppContext(models, loaded, model_key, bank_error, data, celeba, dataset_error)


def _navigation() -> None:
    """The page links of NAVIGATION, Home first, then a divider."""
    try:
        for script, label, icon in NAVIGATION:
            st.sidebar.page_link(script, label=label, icon=icon)
    except StreamlitAPIException:  # a page run on its own (AppTest.from_file(page)) knows no other page
        return
    st.sidebar.divider()


def detector_status() -> str:
    """One line saying which face detector the app will use for uploads."""
    try:
        from ffa_lab.faces.yunet_model import find_yunet

        found = find_yunet(None)
    except Exception:  # noqa: BLE001 - a broken model file means the fallback is used
        found = None
    if found is not None:
        return "Face detector: YuNet (5 landmarks)."
    return (
        "Face detector: the bundled 5-point landmark network on OpenCV face boxes (no download needed). "
        "YuNet is used instead when found: `ffa-lab models download` or set FFA_LAB_YUNET."
    )


def run_page(title: str, icon: str, render: Callable[[AppContext], None], *, share: bool = False) -> None:
    """The frame of every page: config, shared state, sidebar, the values of the opened link that were not
    understood, then ``render`` with errors as messages; ``share``: a "link to this view" box under the title,
    filled after ``render`` has published every control's value."""
    st.set_page_config(page_title=f"{title} · ffa-lab", page_icon=icon, layout="wide")
    apply_torch_threads()
    state.init_state()
    context = sidebar()
    st.title(f"{icon} {title}")
    links.show_problems()
    slot = st.empty() if share else None
    try:
        render(context)
    except Exception as exc:  # noqa: BLE001 - the app never shows a traceback
        show_error(exc, title)
    if slot is not None:
        links.share_box(slot)
