"""Plotly figure builders for study and natural-adversarial results: pure functions, no Streamlit.

Used by the HTML report (core/report/html.py) and the app's dashboard and gallery pages. Inputs are the
readers' objects (:class:`ffa_lab.experiments.results.StudyResults`, :class:`ffa_lab.experiments.results.NaturalResults`) or plain
dicts; every function returns a new ``plotly.graph_objects.Figure`` (or a DataFrame for tables).
Rates are in %, distances in grey levels, PASS in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ffa_lab.experiments.results import NaturalResults, StudyResults
from ffa_lab.models.anchors import ANCHORS, MOON_LABEL
from ffa_lab.report.colors import delta_coloraxis

METHOD_COLORS = {
    "ffa": "#d62728",
    "fgs": "#1f77b4",
    "fgv": "#2ca02c",
    "deepfool": "#9467bd",
    "iffa": "#ff7f0e",
    "ddn": "#8c564b",
    "fmn": "#e377c2",
    "fmn-linf": "#17becf",
}
SPLIT_COLORS = {"train": "#1f77b4", "test": "#ff7f0e", "val": "#2ca02c"}


def _color(method: str) -> str:
    return METHOD_COLORS.get(method, "#7f7f7f")


def _median(entry: dict, measure: str, method: str) -> float:
    value = (entry.get(measure) or {}).get(method)
    return float(value["median"]) if value else float("nan")


def robustness_table(study: StudyResults) -> pd.DataFrame:
    """One row per attribute in ranking order (most robust first): rank, clean accuracy, attacked,
    success % and success % under PASS >= τ per attack, FFA's median L∞ and PASS, side-effect rate %."""
    rows = []
    for rank, name in enumerate(study.ranking, start=1):
        entry = study.summary["attributes"][name]
        row = {
            "rank": rank,
            "attribute": name,
            "clean accuracy % (study subset)": entry.get("clean_accuracy"),
            "attacked": entry.get("n_attacked"),
        }
        for method in study.attacks:
            row[f"{method.upper()} %"] = (entry.get("success") or {}).get(method)
        for method in study.attacks:
            row[f"{method.upper()} PASS≥τ %"] = (entry.get("success_pass99") or {}).get(method)
        lead = "ffa" if "ffa" in study.attacks else study.attacks[0]
        row[f"{lead.upper()} median L∞"] = _median(entry, "linf", lead)
        row[f"{lead.upper()} median PASS"] = _median(entry, "pass", lead)
        row["side effects %"] = 100.0 * entry.get("side_effect_mean_rate", float("nan"))
        rows.append(row)
    return pd.DataFrame(rows).round(3)


def robustness_table_figure(study: StudyResults) -> go.Figure:
    """The robustness table as a plotly table (for the HTML report)."""
    table = robustness_table(study)
    values = [table[c].map(lambda v: f"{v:.4g}" if isinstance(v, float) else v) for c in table.columns]
    widths = [35, 150] + [70] * (len(table.columns) - 2)  # room for the attribute names
    figure = go.Figure(
        go.Table(
            header={"values": list(table.columns), "align": "left"},
            columnwidth=widths,
            cells={"values": values, "align": "left"},
        )
    )
    return figure.update_layout(
        height=28 * len(table) + 120,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title="Robustness per attribute (most robust first)",
    )


def success_bars(study: StudyResults) -> go.Figure:
    """Success rate per attribute and attack (top), and under PASS >= τ (bottom); ranking order."""
    tau = study.summary["settings"].get("tau", 0.99)
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("success rate %", f"success rate % with PASS ≥ {tau}"),
    )
    names = study.ranking
    for method in study.attacks:
        for row, key in ((1, "success"), (2, "success_pass99")):
            values = [(study.summary["attributes"][n].get(key) or {}).get(method) for n in names]
            figure.add_trace(
                go.Bar(
                    x=names,
                    y=values,
                    name=method.upper(),
                    marker_color=_color(method),
                    legendgroup=method,
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
    figure.update_yaxes(range=[0, 100])
    return figure.update_layout(
        barmode="group", height=650, title="FFA vs FGS vs FGV: attack success per attribute", xaxis2={"tickangle": -60}
    )


def distance_box(study: StudyResults, measure: str = "pass") -> go.Figure:
    """Distribution of ``measure`` (pass, linf, l2, scale) over each attack's successes."""
    titles = {
        "pass": "PASS of successful adversarials",
        "linf": "L∞ (grey levels)",
        "l2": "L2 (grey levels)",
        "scale": "scale (grey levels)",
    }
    samples = study.samples[study.samples["success"].astype(bool)]
    figure = go.Figure()
    for method in study.attacks:
        values = samples.loc[samples["method"] == method, measure].dropna()
        figure.add_trace(go.Box(y=values, name=method.upper(), marker_color=_color(method), boxpoints=False))
    tau = study.summary["settings"].get("tau", 0.99)
    if measure == "pass":
        figure.add_hline(y=tau, line_dash="dot", annotation_text=f"τ = {tau}")
    return figure.update_layout(title=titles.get(measure, measure), yaxis_title=measure, height=420)


def pass_box(study: StudyResults) -> go.Figure:
    """PASS of successful adversarials per attack (box plot), with the τ line."""
    return distance_box(study, "pass")


def side_effect_heatmap(study: StudyResults) -> go.Figure:
    """Rate (%) at which flipping the row attribute with FFA changed the column attribute's prediction.

    The diagonal (the attacked attribute itself, always 100 %) is left blank."""
    matrix = study.side_effects.to_numpy(dtype=np.float64) * 100.0
    rows, columns = list(study.side_effects.index), list(study.side_effects.columns)
    for i, name in enumerate(rows):
        if name in columns:
            matrix[i, columns.index(name)] = np.nan
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=columns,
            y=rows,
            colorscale="Reds",
            zmin=0,
            colorbar={"title": "% changed"},
            hovertemplate="flip %{y}<br>changes %{x}: %{z:.1f}%<extra></extra>",
        )
    )
    return figure.update_layout(
        title="Side effects of FFA flips (row = attacked, column = changed)",
        height=800,
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -60},
    )


def mean_perturbation_heatmaps(study: StudyResults, attributes: list[str] | None = None, columns: int = 8) -> go.Figure:
    """Mean |δ| (grey levels) of FFA's successful perturbations per attribute: where each network is hit.

    Colours: :data:`ffa_lab.report.colors.DELTA_COLORSCALE` from 0 (black) to the largest mean |δ| of the
    maps shown (one colour axis for all of them, so they compare directly)."""
    names = study.attributes
    chosen = attributes or names
    rows = int(np.ceil(len(chosen) / columns))
    figure = make_subplots(
        rows=rows, cols=columns, subplot_titles=chosen, horizontal_spacing=0.01, vertical_spacing=0.04
    )
    shown = [study.mean_perturbation[names.index(name)] for name in chosen]
    top = max((float(np.nanmax(m)) for m in shown if m.size), default=1.0)  # the brightest shown map's peak
    for k, name in enumerate(chosen):
        figure.add_trace(
            go.Heatmap(
                z=study.mean_perturbation[names.index(name)],
                coloraxis="coloraxis",
                hovertemplate=f"{name}<br>|δ| %{{z:.2f}}<extra></extra>",
            ),
            row=k // columns + 1,
            col=k % columns + 1,
        )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    figure.update_annotations(font_size=9)
    axis = delta_coloraxis(top)
    axis["colorbar"] |= {"len": 1.0, "thickness": 14, "title": {"text": "|δ| grey levels", "side": "right"}}
    return figure.update_layout(
        coloraxis=axis,
        height=190 * rows + 80,
        title="Mean |δ| of FFA perturbations per attribute",
    )


def natural_rates(natural: NaturalResults) -> go.Figure:
    """Natural adversarial samples per attribute: % of misclassified images a PASS ≥ τ fix corrects."""
    figure = go.Figure()
    for split, entry in natural.summary["splits"].items():
        names = list(entry["attributes"])
        stats = [entry["attributes"][n] for n in names]
        figure.add_trace(
            go.Bar(
                x=names,
                y=[s["rate"] for s in stats],
                name=f"{split} (τ = {entry.get('tau')})",
                marker_color=SPLIT_COLORS.get(split),
                customdata=[[s["natural"], s["misclassified"]] for s in stats],
                hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]} misclassified)<extra></extra>",
            )
        )
    return figure.update_layout(
        barmode="group",
        title="Natural adversarial samples: % of misclassified images",
        yaxis={"title": "%", "range": [0, 100]},
        xaxis={"tickangle": -60},
        height=480,
    )


def extra_epochs_bars(natural: NaturalResults) -> go.Figure | None:
    """Training-set natural adversarial samples before and still misclassified after K extra epochs."""
    extra = natural.extra_epochs
    if not extra:
        return None
    names = list(extra["attributes"])
    stats = [extra["attributes"][n] for n in names]
    figure = go.Figure(
        [
            go.Bar(
                x=names,
                y=[s["natural_before"] for s in stats],
                name="natural adversarial (before)",
                marker_color="#9ecae1",
            ),
            go.Bar(
                x=names,
                y=[s["natural_still_misclassified"] for s in stats],
                name=f"still misclassified after {extra['K']} more epochs",
                marker_color="#08519c",
            ),
        ]
    )
    return figure.update_layout(
        barmode="overlay",
        title=f"Additional epochs (K = {extra['K']})",
        yaxis_title="training images",
        xaxis={"tickangle": -60},
        height=460,
    )


def study_subset_label(summary: dict) -> str:
    """Where a study's clean accuracy comes from: 'study's 1,000-image test subset (seed 0)'."""
    settings = summary.get("settings") or {}
    n, split, seed = settings.get("n_images"), settings.get("split", "?"), settings.get("seed")
    count = f"{n:,}-image " if isinstance(n, int) else ""
    return f"study's {count}{split} subset" + (f" (seed {seed})" if seed is not None else "")


def accuracy_vs_anchors(evaluation: dict, source: str | None = None) -> go.Figure:
    """Per-attribute accuracy (%) against LNets+ANet and MOON (core/models/anchors.py).

    ``evaluation``: an ``ffa-lab evaluate`` JSON ({"attributes": {name: {"accuracy": ...}}}), a study
    summary ({"attributes": {name: {"clean_accuracy": ...}}}) or a plain {name: accuracy} dict.
    ``source`` says where the numbers come from (split, image count); for a study summary it defaults
    to the study's own subset, so no accuracy figure goes out without its provenance."""
    table = evaluation.get("attributes", evaluation)
    ours = {}
    for name, value in table.items():
        if isinstance(value, dict):
            value = value.get("accuracy", value.get("clean_accuracy"))
        if value is not None:
            ours[name] = float(value)
    names = [n for n in ANCHORS if n in ours]
    figure = go.Figure(
        [
            go.Scatter(x=names, y=[ANCHORS[n][0] for n in names], mode="markers", name="LNets+ANet", marker_symbol="x"),
            go.Scatter(
                x=names, y=[ANCHORS[n][1] for n in names], mode="markers", name=MOON_LABEL, marker_symbol="diamond"
            ),
            go.Bar(x=names, y=[ours[n] for n in names], name="this bank", marker_color="#bbbbbb", opacity=0.8),
        ]
    )
    mean = np.mean([ours[n] for n in names]) if names else float("nan")
    low = min([50.0] + [ours[n] - 5 for n in names])
    if source is None and isinstance(evaluation.get("settings"), dict):
        source = study_subset_label(evaluation)
    title = f"Accuracy vs published (this bank: mean {mean:.2f}%)"
    if source:
        title += f"<br><sup>this bank on the {source}; published: full CelebA test set</sup>"
    return figure.update_layout(
        title=title,
        height=460,
        yaxis={"title": "accuracy %", "range": [low, 100]},
        xaxis={"tickangle": -60},
    )
