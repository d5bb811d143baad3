"""The dashboard's "Compare families" tab: widgets -> cached reads -> tables and figures.

Every number and figure comes from :mod:`ffa_lab.report.family_tables` / :mod:`ffa_lab.report.family_figures`
over the families :mod:`ffa_lab.views.families` finds; this module only lays them out.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ffa_lab.report import family_figures as figs
from ffa_lab.report.families import Family, correlation_pairs, rank_correlations
from ffa_lab.report.family_markdown import image_count_note
from ffa_lab.report.family_tables import (
    attribute_order,
    attribute_table,
    measures,
    minimal_methods,
    overview_table,
    ratio_label,
    ratio_mean,
)
from ffa_lab.report.numbers import fmt
from ffa_lab.ui.errors import guarded
from ffa_lab.views import families as views

MINIMAL_HINT = (
    "No chosen family has a `minimal/` study with FFA-to-minimal ratios yet: "
    "`ffa-lab study --models assets/models/<family> --attacks ffa,ddn,fmn,fmn-linf "
    "--out assets/results/<family>/minimal` adds one."
)


@st.cache_data(max_entries=16, show_spinner="Reading the family's study…")
def _family(stamp: str, label: str, models: str, results: str) -> Family:
    return views.load_family(views.FamilyChoice(label, models, results))


@st.cache_data(max_entries=16, show_spinner="Reading the mean |δ| maps…")
def _delta_maps(stamps: tuple[str, ...], _families: list[Family], attribute: str) -> dict[str, np.ndarray]:
    return views.delta_maps(_families, attribute)


def _chosen_families() -> tuple[list[Family], list[str]]:
    choices = views.family_choices()
    labels = [c.label for c in choices]
    chosen = st.multiselect(
        "Families", labels, default=labels, key="fam_pick", help="Every shipped model folder with a finished study."
    )
    loaded, stamps = [], []
    for choice in (c for c in choices if c.label in chosen):
        stamp = views.family_stamp(choice)
        family = guarded(f"Reading {choice.label}'s study", _family, stamp, choice.label, choice.models, choice.results)
        if family is not None:
            loaded.append(family)
            stamps.append(stamp)
    return loaded, stamps


def families_section() -> None:
    """The comparison of the chosen families, most robust attributes first in every per-attribute view."""
    if not views.family_choices():
        st.info(
            "No model folder under `assets/models/` has a finished study under `assets/results/<same name>/` yet: "
            "`ffa-lab study --models assets/models/<name> --celeba DIR` writes one."
        )
        return
    families, stamps = _chosen_families()
    if not families:
        st.info("Choose one family or more.")
        return
    st.caption(views.studies_caption(families))
    note = image_count_note(families)
    if note:
        st.warning(note)
    st.subheader("One row per family")
    st.dataframe(overview_table(families).round(2), hide_index=True, key="fam_overview")
    st.caption("Accuracies: each model folder's `evaluation.json` (test split); the rest: means over attributes.")
    st.plotly_chart(figs.mean_success_bars(families), key="fam_success")
    st.subheader("Do the families agree on what is robust?")
    if len(families) >= 2:
        st.plotly_chart(figs.rank_correlation_heatmap(rank_correlations(families)), key="fam_rho")
        st.markdown(
            "\n".join(
                f"- {a} vs {b}: Spearman ρ = {fmt(rho, 3)} over {n} attributes"
                for a, b, rho, n in correlation_pairs(families)
            )
        )
    else:
        st.caption("Choose two families or more to correlate their robustness rankings.")
    st.subheader("Per attribute")
    measure = st.selectbox("Measure", list(measures(families)), key="fam_measure")
    table = attribute_table(families, measure)
    st.dataframe(table.round(3), hide_index=True, key="fam_attributes", height=35 * min(len(table), 12) + 38)
    st.plotly_chart(figs.attribute_lines(table, measure), key="fam_lines")
    st.subheader("Side effects")
    st.plotly_chart(figs.side_effect_heatmaps(families), key="fam_side_effects")
    st.subheader("Where each family is attacked: mean |δ| of FFA's perturbations")
    order = attribute_order(families)
    attribute = st.selectbox("Attribute", order, index=len(order) - 1, key="fam_delta_attribute")
    maps = guarded("Reading the mean |δ| maps", _delta_maps, tuple(stamps), families, attribute)
    if maps:
        st.plotly_chart(figs.mean_delta_maps(maps, attribute), key="fam_mean_delta")
    _minimal_section(families)


def _minimal_section(families: list[Family]) -> None:
    st.subheader("FFA against the minimal-norm attacks")
    methods = minimal_methods(families)
    if not methods:
        st.caption(MINIMAL_HINT)
        return
    st.caption(
        "Ratio = FFA's perturbation norm / the minimal attack's, in the minimal attack's norm, on the images both "
        "flipped (median per attribute); 1 = FFA's perturbation is as small as the minimal one."
    )
    for method in methods:
        measure = ratio_label(families, method)
        table = attribute_table(families, measure)
        means = " · ".join(f"{f.label}: mean {fmt(ratio_mean(f, method), 2)}" for f in families if f.minimal)
        st.markdown(f"**{measure}** — {means}")
        st.dataframe(table.round(3), hide_index=True, key=f"fam_ratio_{method}")
        st.plotly_chart(figs.ratio_bars(table, measure), key=f"fam_ratio_bars_{method}")
