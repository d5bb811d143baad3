"""Write the HTML report (plotly, self-contained) and a markdown summary of a results folder; with
several ``--results``, add the model families side by side (the first folder gets the full report)."""

from __future__ import annotations

from ffa_lab.report.html import write_report

DEFAULT_RESULTS = "assets/results/default"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--results",
        action="append",
        default=None,
        metavar="DIR",
        help="folder with study/ and/or natural/ (or one of them); default assets/results/default. Give it "
        "several times (e.g. one per model family: --results assets/results/default --results "
        "assets/results/resnet) to add a side-by-side comparison of their studies; the first gets the full report",
    )
    parser.add_argument("--out", required=True, help="folder for report.html and summary.md")
    parser.add_argument("--models", default=None, help="model folder for the example grids (default: as recorded)")
    parser.add_argument("--celeba", default=None, help="CelebA folder for the example grids (default: as recorded)")
    parser.add_argument("--examples", type=int, default=6, help="example grids per section (0: none)")


def run(args) -> int:
    folders = args.results or [DEFAULT_RESULTS]
    paths = write_report(
        folders[0],
        args.out,
        models=args.models,
        celeba=args.celeba,
        examples=args.examples,
        compare=folders if len(folders) >= 2 else None,
    )
    print(f"wrote {paths['html']} and {paths['markdown']}")
    return 0
