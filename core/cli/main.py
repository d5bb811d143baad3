"""``ffa-lab`` command line: train, evaluate, score, attack, align, study, natural, saliency, report, models.

Every subcommand is ``main([...]) -> int``; errors the user can fix print one line on stderr and
exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module holding ``add_arguments(parser)`` and ``run(args) -> int``
COMMANDS: dict[str, str] = {
    "train": "ffa_lab.cli.train",
    "evaluate": "ffa_lab.cli.evaluate",
    "score": "ffa_lab.cli.score",
    "attack": "ffa_lab.cli.attack",
    "align": "ffa_lab.cli.align",
    "study": "ffa_lab.cli.study",
    "natural": "ffa_lab.cli.natural",
    "saliency": "ffa_lab.cli.saliency",
    "report": "ffa_lab.cli.report",
    "models": "ffa_lab.cli.models",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ffa-lab", description="Are facial attributes adversarially robust?")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        command = sub.add_parser(name, help=module.__doc__.strip().splitlines()[0] if module.__doc__ else None)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --workers N hands its torchrun ranks
    from ffa_lab.errors import USER_ERRORS

    try:
        return int(args.handler(args) or 0)
    except USER_ERRORS as exc:
        print(f"ffa-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ffa-lab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
