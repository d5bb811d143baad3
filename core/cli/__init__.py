"""One module per ``ffa-lab`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``."""
