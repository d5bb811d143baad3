"""Plotly figures of the family comparison (dashboard "Compare families" tab and the HTML report).

Pure functions of :class:`ffa_lab.report.families.Family` lists (or of tables built from them); each
returns a new figure. Side effects use one shared "Reds" axis from 0 to the largest rate shown (as the
single-study heatmap of :mod:`ffa_lab.report.figures`), mean |δ| maps the one |δ| scale
(:data:`ffa_lab.report.colors.DELTA_COLORSCALE`) on one axis for all families, so panels compare directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ffa_lab.report.colors import delta_coloraxis
from ffa_lab.report.families import FAST_ATTACKS, Family, rank_correlations
from ffa_lab.report.family_tables import (
    attribute_table,
    minimal_methods,
    overview_table,
    ratio_label,
    side_effect_matrix,
    success_mean,
)
from ffa_lab.report.numbers import fmt

FAMILY_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2")


def family_color(index: int) -> str:
    return FAMILY_COLORS[index % len(FAMILY_COLORS)]


def mean_success_bars(families: list[Family]) -> go.Figure:
    """Mean success over attributes (%) of FFA, FGS and FGV per family (left) and with PASS ≥ τ (right)."""
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=("success %", "success with PASS ≥ τ %"))
    names = [m.upper() for m in FAST_ATTACKS]
    for k, family in enumerate(families):
        for col, key in ((1, "success"), (2, "success_pass99")):
            figure.add_trace(
                go.Bar(
                    x=names,
                    y=[success_mean(family, m, key) for m in FAST_ATTACKS],
                    name=family.label,
                    marker_color=family_color(k),
                    legendgroup=family.label,
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    figure.update_yaxes(range=[0, 100])
    return figure.update_layout(barmode="group", height=420, title="Mean attack success over attributes per family")


def attribute_lines(table: pd.DataFrame, measure: str) -> go.Figure:
    """One line per family (the columns of ``table`` after ``attribute``) over the attributes (rows)."""
    figure = go.Figure()
    for k, label in enumerate(c for c in table.columns if c != "attribute"):
        figure.add_trace(
            go.Scatter(
                x=table["attribute"], y=table[label], mode="lines+markers", name=label, line_color=family_color(k)
            )
        )
    if "rank" in measure:
        figure.update_yaxes(autorange="reversed")
    return figure.update_layout(
        title=f"{measure} per attribute (ordered by the first family's ranking)",
        yaxis_title=measure,
        xaxis={"tickangle": -60},
        height=460,
    )


def rank_correlation_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Spearman's ρ between the families' robustness rankings (−1 … 1, blue = agree, red = opposite)."""
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=np.float64),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            text=[[f"{v:.2f}" for v in row] for row in matrix.to_numpy(dtype=np.float64)],
            texttemplate="%{text}",
            colorbar={"title": "ρ"},
            hovertemplate="%{y} vs %{x}: ρ = %{z:.3f}<extra></extra>",
        )
    )
    return figure.update_layout(
        title="Spearman rank correlation of the robustness rankings",
        height=140 + 60 * len(matrix),
        yaxis={"autorange": "reversed"},
    )


def side_effect_heatmaps(families: list[Family]) -> go.Figure:
    """The families' side-effect matrices side by side (row = attacked, column = changed, %; diagonal
    blank) on one colour axis from 0 to the largest rate of any of them."""
    matrices = [side_effect_matrix(f) for f in families]
    top = max((float(np.nanmax(m)) for m in matrices if np.isfinite(m).any()), default=1.0) or 1.0
    figure = make_subplots(
        rows=1,
        cols=len(families),
        subplot_titles=[f.label for f in families],
        shared_yaxes=True,
        horizontal_spacing=0.02,
    )
    for k, (family, matrix) in enumerate(zip(families, matrices, strict=True)):
        figure.add_trace(
            go.Heatmap(
                z=matrix,
                x=list(family.side_effects.columns),
                y=list(family.side_effects.index),
                coloraxis="coloraxis",
                hovertemplate=f"{family.label}<br>flip %{{y}}<br>changes %{{x}}: %{{z:.1f}}%<extra></extra>",
            ),
            row=1,
            col=k + 1,
        )
    figure.update_yaxes(autorange="reversed", tickfont_size=8)
    figure.update_xaxes(tickangle=-60, tickfont_size=8)
    return figure.update_layout(
        coloraxis={"colorscale": "Reds", "cmin": 0.0, "cmax": top, "colorbar": {"title": {"text": "% changed"}}},
        height=620,
        title="Side effects of FFA flips per family (row = attacked, column = changed)",
    )


def mean_delta_maps(maps: dict[str, np.ndarray], attribute: str) -> go.Figure:
    """Mean |δ| (grey levels) of FFA's successful perturbations of ``attribute``, one panel per family
    (``maps``: label -> (H, W)), on :data:`~ffa_lab.report.colors.DELTA_COLORSCALE` from 0 to the
    brightest panel's peak."""
    labels = list(maps)
    figure = make_subplots(rows=1, cols=max(len(labels), 1), subplot_titles=labels, horizontal_spacing=0.02)
    top = max((float(np.nanmax(m)) for m in maps.values() if m.size), default=1.0)
    for k, label in enumerate(labels):
        figure.add_trace(
            go.Heatmap(z=maps[label], coloraxis="coloraxis", hovertemplate=f"{label}<br>|δ| %{{z:.2f}}<extra></extra>"),
            row=1,
            col=k + 1,
        )
    figure.update_xaxes(visible=False)
    for k in range(len(labels)):  # each panel keeps its own pixels square
        figure.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{k + 1 if k else ''}", row=1, col=k + 1)
    return figure.update_layout(
        coloraxis=delta_coloraxis(top), height=360, title=f"Mean |δ| of FFA perturbations of {attribute} per family"
    )


def ratio_bars(table: pd.DataFrame, measure: str) -> go.Figure:
    """Per attribute, FFA's norm over a minimal attack's (median ratio) per family, with the line at 1."""
    figure = go.Figure()
    for k, label in enumerate(c for c in table.columns if c != "attribute"):
        figure.add_trace(go.Bar(x=table["attribute"], y=table[label], name=label, marker_color=family_color(k)))
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="as small as the minimal attack")
    return figure.update_layout(
        barmode="group", title=measure, yaxis_title="ratio", xaxis={"tickangle": -60}, height=440
    )


def overview_table_figure(families: list[Family]) -> go.Figure:
    """:func:`~ffa_lab.report.family_tables.overview_table` as a plotly table (numbers via ``fmt``)."""
    table = overview_table(families)
    cells = [[fmt(v, 2) if isinstance(v, float) else ("—" if v is None else str(v)) for v in table[c]] for c in table]
    figure = go.Figure(
        go.Table(header={"values": list(table.columns), "align": "left"}, cells={"values": cells, "align": "left"})
    )
    return figure.update_layout(
        height=40 * len(table) + 160, margin={"l": 10, "r": 10, "t": 40, "b": 10}, title="One row per family"
    )


def family_figures(families: list[Family]) -> list[go.Figure]:
    """The report's comparison figures: the overview table, mean success, the rank correlations, the
    ranks per attribute, the side-effect matrices and, where measured, the FFA-to-minimal ratios."""
    rank = "robustness rank (1 = most robust)"
    found = [
        overview_table_figure(families),
        mean_success_bars(families),
        rank_correlation_heatmap(rank_correlations(families)),
        attribute_lines(attribute_table(families, rank), rank),
        side_effect_heatmaps(families),
    ]
    for method in minimal_methods(families):
        measure = ratio_label(families, method)
        found.append(ratio_bars(attribute_table(families, measure), measure))
    return found
