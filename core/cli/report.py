"""Write the HTML report (plotly, self-contained) and a markdown summary of a results folder."""

from __future__ import annotations

from ffa_lab.report.html import write_report


def add_arguments(parser) -> None:
    parser.add_argument(
        "--results",
        default="assets/results/default",
        help="folder with study/ and/or natural/ (or one of them); default assets/results/default",
    )
    parser.add_argument("--out", required=True, help="folder for report.html and summary.md")
    parser.add_argument("--models", default=None, help="model folder for the example grids (default: as recorded)")
    parser.add_argument("--celeba", default=None, help="CelebA folder for the example grids (default: as recorded)")
    parser.add_argument("--examples", type=int, default=6, help="example grids per section (0: none)")


def run(args) -> int:
    paths = write_report(args.results, args.out, models=args.models, celeba=args.celeba, examples=args.examples)
    print(f"wrote {paths['html']} and {paths['markdown']}")
    return 0
