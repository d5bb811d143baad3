"""The sidebar every page shares (model bank and dataset folders) and the page frame around it.

The folders are remembered for the browser session in ``cfg_models`` / ``cfg_dataset`` (widget state is
dropped on a page switch, so the widgets are re-seeded from these keys); presets come from
``FFA_LAB_MODELS`` and ``FFA_LAB_CELEBA`` (ffa_lab.views.settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ffa_lab.data.celeba import CelebA
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.ui import cache, state
from ffa_lab.ui.errors import message_for, show_error
from ffa_lab.views.settings import (
    DATASET_HELP,
    apply_torch_threads,
    chosen_model,
    default_dataset_folder,
    default_models_folder,
    model_choices,
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
        """The loaded bank, or stop the page with the reason it could not be loaded."""
        if self.loaded is None:
            st.error(self.bank_error or "No model bank is loaded.", icon="⚠️")
            st.info("Type the path of a folder of ffa-lab checkpoints (`*.safetensors`) into **Model bank folder**.")
            st.stop()
        return self.loaded

    def require_dataset(self, what: str) -> CelebA | None:
        """The dataset, or None after saying plainly that ``what`` needs one and how to configure it."""
        if self.celeba is None:
            if self.dataset_error:
                st.error(self.dataset_error, icon="⚠️")
            st.info(f"{what} needs the CelebA images. {DATASET_HELP}", icon="ℹ️")
        return self.celeba


def _folder_input(label: str, widget_key: str, stored_key: str, default: str, help_text: str) -> str:
    st.session_state.setdefault(stored_key, default)
    bound = state.bind(widget_key, st.session_state[stored_key], lambda v: st.session_state.__setitem__(stored_key, v))
    return st.sidebar.text_input(label, help=help_text, **bound).strip()


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
        "cfg_models",
        default_models_folder(),
        "A folder of ffa-lab checkpoints (one .safetensors per attribute, or one model.safetensors). "
        "Default: assets/models/default.",
    )


def sidebar() -> AppContext:
    """Render the shared sidebar; load (cached) the bank and the dataset it names."""
    st.sidebar.markdown("### ffa-lab settings")
    models = _models_input()
    data = _folder_input(
        "Dataset folder (CelebA layout)",
        "_w_dataset",
        "cfg_dataset",
        default_dataset_folder(),
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


def detector_status() -> str:
    """One line saying which face detector the app will use for uploads."""
    try:
        from ffa_lab.faces.yunet_model import find_yunet

        found = find_yunet(None)
    except Exception:  # noqa: BLE001 - a broken model file means the fallback is used
        found = None
    if found is not None:
        return "Face detector: YuNet (5 landmarks)."
    return "Face detector: OpenCV Haar cascades (coarse). For YuNet run `ffa-lab models download` or set FFA_LAB_YUNET."


def run_page(title: str, icon: str, render: Callable[[AppContext], None]) -> None:
    """The frame of every page: config, shared state, sidebar, then ``render`` with errors as messages."""
    st.set_page_config(page_title=f"{title} · ffa-lab", page_icon=icon, layout="wide")
    apply_torch_threads()
    state.init_state()
    context = sidebar()
    st.title(f"{icon} {title}")
    try:
        render(context)
    except Exception as exc:  # noqa: BLE001 - the app never shows a traceback
        show_error(exc, title)
