"""Robustness dashboard: the study's per-attribute table, success and PASS charts, side effects, anchors;
and the shipped model families side by side (tab "Compare families")."""

import streamlit as st

from ffa_lab.report import figures
from ffa_lab.ui import cache, links, state
from ffa_lab.ui.errors import guarded
from ffa_lab.ui.families import families_section
from ffa_lab.ui.saliency import mean_saliency_section
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.views.settings import results_root


def render(ctx: AppContext) -> None:
    this_study, compare = st.tabs(["This study", "Compare families"])
    with this_study:
        study_section()
    with compare:
        families_section()


def study_section() -> None:
    folder = results_root() / "study"
    study = guarded("Reading the study results", cache.study, cache.folder_stamp(str(folder)), expected=True)
    if study is None:
        st.info(
            "Run the study with `ffa-lab study --celeba DIR --out assets/results/default/study` "
            "(or set FFA_LAB_RESULTS to a results folder holding `study/`)."
        )
        return
    settings = study.summary.get("settings", {})
    st.caption(
        f"`{folder}` · {settings.get('n_images')} {settings.get('split')} images · attacks "
        f"{', '.join(a.upper() for a in study.attacks)} · τ = {settings.get('tau')} · created "
        f"{study.summary.get('created')}"
    )
    st.caption(
        f"“Clean accuracy” on this page is measured on the {figures.study_subset_label(study.summary)} the study "
        "attacked; the bank's headline accuracy (Home) is its evaluation on the whole test split."
    )
    st.subheader("Per attribute, most robust first (click a column to sort)")
    table = figures.robustness_table(study)
    st.dataframe(table, hide_index=True, height=min(420, 35 * (len(table) + 1) + 3), key="dash_table")
    if study.summary.get("ranking_criterion"):
        st.caption(f"Ranking: {study.summary['ranking_criterion']}.")
    st.plotly_chart(figures.success_bars(study), key="dash_success")
    left, right = st.columns(2)
    left.plotly_chart(figures.pass_box(study), key="dash_pass")
    right.plotly_chart(figures.accuracy_vs_anchors(study.summary), key="dash_anchors")
    st.plotly_chart(figures.side_effect_heatmap(study), key="dash_side_effects")
    st.subheader("Where each network is attacked: mean |δ| of FFA's perturbations")
    linked = state.get("maps")  # None: the page's default choice
    wanted = study.ranking[-8:][::-1] if linked is None else [a for a in linked if a in study.attributes]
    chosen = links.control(
        st.multiselect,
        "maps",
        "Attributes",
        study.attributes,
        value=wanted,
        key="dash_maps",
        help="Defaults to the 8 least robust attributes.",
    )
    if linked is None and list(chosen) == wanted:
        state.publish(maps=None)  # the page's default choice needs no key in the link
    if chosen:
        st.plotly_chart(figures.mean_perturbation_heatmaps(study, chosen), key="dash_mean_delta")
        mean_saliency_section(study, chosen)


run_page("Robustness dashboard", "📊", render)
