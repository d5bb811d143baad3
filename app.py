"""ffa-lab Home: what this is, the loaded model bank, where faces come from, and the pages.

Run with ``streamlit run app.py``. Pages live in ``pages/`` (their URL paths are their file names without the
number: ``/Flip_Attribute``); the sidebar's navigation is ffa_lab.ui.sidebar.NAVIGATION, where this page is
"Home". All logic lives in ``ffa_lab`` (``core/ui`` for the Streamlit parts).
"""

import streamlit as st

from ffa_lab.report import figures
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.views import bankinfo
from ffa_lab.views.settings import DATASET_HELP

PAGES = [
    ("pages/1_Inspect_Face.py", "Inspect a face", "🔍", "alignment, landmarks and the 40 attribute scores"),
    ("pages/2_Flip_Attribute.py", "Flip an attribute", "🎭", "FFA live: adversarial, |δ| heatmap, PASS, side effects"),
    ("pages/3_Compare_Attacks.py", "Compare attacks", "⚖️", "the same face and attribute under every attack"),
    ("pages/4_Natural_Adversarials.py", "Natural adversarials", "🌱", "misclassified faces a tiny change corrects"),
    ("pages/5_Robustness_Dashboard.py", "Robustness dashboard", "📊", "the study: success, PASS, side effects"),
]


def render(ctx: AppContext) -> None:
    st.markdown(
        "**ffa-lab** reproduces Rozsa et al., *Are Facial Attributes Adversarially Robust?* (ICPR 2016): one small "
        "CNN per CelebA attribute, 40 in all, each giving a score whose sign says whether the attribute is present. "
        "It attacks them with FFA (fast flipping attribute), FGS and FGV — the smallest step along one gradient "
        "direction that flips a prediction on the saved integer image — and measures how visible the change is "
        "with PASS. Here you flip any attribute of any face live, compare attacks, browse natural adversarial "
        "samples and read the robustness study."
    )
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Model bank")
        if ctx.loaded is None:
            st.info("No model bank is loaded: the sidebar says why.", icon="ℹ️")
        else:
            _bank_section(ctx)
    with right:
        st.subheader("Where faces come from")
        st.markdown(
            "- **Bundled portraits**: public-domain pictures that ship with scikit-image and matplotlib.\n"
            "- **Upload** any photo (JPEG, PNG, WebP, …) or take one with the **camera**; the face is found and "
            "aligned to the CelebA template. Pictures stay in your browser session and are never stored.\n"
            "- **CelebA dataset**: browse, search and filter the configured folder, with ground-truth labels."
        )
        if ctx.celeba is None:
            st.info(DATASET_HELP, icon="ℹ️")
        else:
            st.success(f"Dataset at `{ctx.celeba.root}`: {len(ctx.celeba.table.ids):,} labelled images.")
    st.subheader("Pages")
    for path, label, icon, what in PAGES:
        st.page_link(path, label=f"{label} — {what}", icon=icon)


def _bank_section(ctx: AppContext) -> None:
    loaded = ctx.loaded
    facts = bankinfo.training_facts(loaded)
    st.markdown(
        f"**{bankinfo.bank_name(loaded)}** from `{loaded.folder}`: {len(loaded.attributes)} attributes, "
        f"{facts['parameters']:,} parameters in all"
        + (f", trained {facts['epochs']} epoch(s) on data `{facts['data_fingerprint']}`." if facts["epochs"] else ".")
    )
    docs = bankinfo.evaluations(loaded)
    if not docs:
        st.caption("No accuracy is recorded for this bank (run `ffa-lab evaluate`).")
        return
    best = docs[0]
    cols = st.columns(3)
    cols[0].metric("Mean accuracy", f"{best.mean_accuracy:.1f} %")
    if best.mean_balanced_accuracy is not None:
        cols[1].metric("Mean balanced accuracy", f"{best.mean_balanced_accuracy:.1f} %")
    cols[2].metric("Paper-era anchor (MOON)", f"{bankinfo.ANCHORS_MEAN['MOON (Rudd et al. 2016)']:.1f} %")
    st.caption(f"Accuracy from {best.source}" + (f", {best.n:,} images." if best.n else "."))
    with st.expander("Per-attribute accuracy, beside the paper-era anchors"):
        st.plotly_chart(figures.accuracy_vs_anchors(best.table["accuracy"].to_dict()), key="home_anchors")
        st.dataframe(best.table.round(2), height=300)


run_page("ffa-lab", "🧑‍🔬", render)
