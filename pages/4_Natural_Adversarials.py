"""Natural adversarials: misclassified faces that a tiny perturbation corrects (saved results or mined live)."""

import time

import streamlit as st

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.experiments.progress import Step
from ffa_lab.report import figures
from ffa_lab.ui import cache, links, state
from ffa_lab.ui.errors import guarded
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.ui.widgets import attribute_select, fmt, score_text, show_image
from ffa_lab.views.gallery import SORT_KEYS, GalleryFilter, filter_rows, mine, summary_table
from ffa_lab.views.query import LIVE_LIMITS, MIN_PASS_STEPS
from ffa_lab.views.settings import results_root

PER_PAGE = 24
COLUMNS = 6


def render(ctx: AppContext) -> None:
    source = links.control(
        st.radio,
        "results",
        "Results",
        ["saved", "live"],
        horizontal=True,
        key="gallery_source",
        format_func={"saved": "Saved results (ffa-lab natural)", "live": "Mine one attribute live"}.get,
    )
    results = _saved(ctx) if source == "saved" else _live(ctx)
    if results is None:
        return
    with st.expander("Summary per split and attribute", expanded=source == "saved"):
        st.plotly_chart(figures.natural_rates(results), key="gallery_rates")
        extra = figures.extra_epochs_bars(results)
        if extra is not None:
            st.plotly_chart(extra, key="gallery_extra_epochs")
        st.dataframe(summary_table(results), hide_index=True, height=300)
    chosen = _filters(results)
    rows = filter_rows(results.samples, chosen)
    st.markdown(f"**{len(rows):,}** corrected misclassifications match (sorted by {chosen.sort}).")
    if rows.empty:
        return
    if ctx.require_dataset("Showing the faces") is None:
        st.dataframe(rows.head(200), hide_index=True)
        return
    _grid(ctx, rows)


def _saved(ctx: AppContext):
    folder = results_root() / "natural"
    st.caption(f"Reading `{folder}`.")
    results = guarded(
        "Reading the natural-adversarial results", cache.natural, cache.folder_stamp(str(folder)), expected=True
    )
    if results is None:
        st.info(
            "Compute them with `ffa-lab natural --celeba DIR --out assets/results/default/natural`, "
            "or mine one attribute live (above)."
        )
    return results


def _live(ctx: AppContext):
    loaded = ctx.require_bank()
    if ctx.require_dataset("Mining natural adversarials") is None:
        return None
    left, middle, right = st.columns(3)
    attribute = attribute_select("gallery", list(loaded.attributes), where=left)
    split = links.control(middle.radio, "split", "Split", ["test", "train"], horizontal=True, key="gallery_split")
    limit = links.control(right.select_slider, "limit", "Images to scan", list(LIVE_LIMITS), key="gallery_limit")
    wanted = (ctx.model_key, ctx.dataset_folder, attribute, split, limit)
    if st.button(f"Mine {attribute} on {limit} {split} images", key="gallery_mine"):
        bar = st.progress(0.0, text="Looking for a finished run of these settings…")
        steps: list[Step] = []

        def progress(step: Step) -> None:
            steps.append(step)
            bar.progress(step.overall, text=step.text())

        started = time.perf_counter()
        mined = guarded("Mining", mine, loaded, ctx.celeba, ctx.model_key, attribute, split, limit, progress)
        seconds = time.perf_counter() - started
        bar.empty()
        if mined is not None:
            note = (
                f"Mined in {seconds:.0f} s."
                if steps
                else f"Read back in {seconds:.1f} s: these settings were mined before (kept on the server), "
                "so they are not recomputed."
            )
            st.session_state["gallery_mined"] = (wanted, mined, note)
    stored = st.session_state.get("gallery_mined")
    if stored is None or stored[0] != wanted:
        st.caption("Press the button to mine: FFA aimed at the true label of every face the network gets wrong.")
        return None
    st.caption(stored[2])
    return stored[1]


def _filters(results) -> GalleryFilter:
    present = sorted(set(results.samples["attribute"]), key=ATTRIBUTES.index)
    splits_present = sorted(set(results.samples["split"]))
    cols = st.columns([3, 2, 2, 2])
    wanted = [a for a in state.get("attrs") if a in present]  # a link may name attributes these results lack
    attributes = links.control(
        cols[0].multiselect, "attrs", "Attributes", present, value=wanted, key="gallery_attributes", placeholder="all"
    )
    wanted = [s for s in state.get("splits") if s in splits_present]
    splits = links.control(
        cols[1].multiselect, "splits", "Splits", splits_present, value=wanted, key="gallery_splits", placeholder="all"
    )
    min_pass = links.control(
        cols[2].select_slider, "min_pass", "PASS at least", list(MIN_PASS_STEPS), key="gallery_min_pass"
    )
    sort = links.control(cols[3].selectbox, "sort", "Sort by", list(SORT_KEYS), key="gallery_sort")
    natural_only = links.control(
        st.checkbox, "natural", "Only natural adversarial samples (PASS ≥ τ)", key="gallery_natural_only"
    )
    return GalleryFilter(tuple(attributes), tuple(splits), float(min_pass), natural_only, sort)


def _grid(ctx: AppContext, rows) -> None:
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(state.get("page"), pages)
    if pages > 1:
        page = links.control(st.number_input, "page", "Page", 1, pages, value=page, key="gallery_page")
    shown = rows.iloc[(page - 1) * PER_PAGE : page * PER_PAGE]
    for start in range(0, len(shown), COLUMNS):
        for col, (_, row) in zip(st.columns(COLUMNS), shown.iloc[start : start + COLUMNS].iterrows(), strict=False):
            face = guarded("Loading the face", cache.dataset_face, ctx.dataset_folder, row["image_id"])
            if face is None:
                continue
            truth = "present" if row["label"] > 0 else "absent"
            show_image(face.aligned, f"{row['image_id']} · {row['attribute']} truly {truth}", height=180, where=col)
            col.caption(
                f"score {score_text(row['score_before'])}→{score_text(row['score_after'])} · L∞ {fmt(row['linf'], 0)} · "
                f"PASS {fmt(row['pass'], 4)}{' · natural' if row['natural'] else ''}"
            )
            if col.button("Open in flip view", key=f"gallery_open_{row['split']}_{row['image_id']}_{row['attribute']}"):
                face_ref = f"dataset:{row['image_id']}"
                state.publish(face=face_ref, attr=row["attribute"], attack="ffa")
                st.switch_page(
                    "pages/2_Flip_Attribute.py",
                    query_params={"face": face_ref, "attr": row["attribute"], "attack": "ffa"},
                )


run_page("Natural adversarials", "🌱", render, share=True)
