"""Bulk scoring beyond one machine: the same Predictor and the same `annotate` as the local engine, run as a
stateful Ray Data `map_batches` class over `ray.data.read_*` sources, written as Parquet.

Point it at a cluster by starting Ray there (`ray start --head` on one node, `ray start --address=HEAD:6379` on
the others) and passing `--ray-address auto` (or `ray://HEAD:10001`); the model directory must be readable at the
same path on every node (a shared volume, or the package installed in the image). Each actor loads one
Predictor with `threads` onnxruntime threads; `concurrency` sets how many actors run.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa


class PredictorActor:
    """Loaded once per Ray actor; called with pyarrow tables."""

    def __init__(self, model_dir: str, text_column: str, threads: int = 1) -> None:
        from serving.predictor import Predictor

        self.predictor = Predictor(model_dir, threads=threads)
        self.text_column = text_column

    def __call__(self, batch: pa.Table) -> pa.Table:
        from serving.bulk.annotate import annotate

        return annotate(batch, self.predictor, self.text_column)


def read_dataset(path: str, fmt: str):
    import ray.data

    if fmt == "parquet":
        return ray.data.read_parquet(path)
    if fmt in ("csv", "tsv"):
        import pyarrow.csv as pacsv

        return ray.data.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",", newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        )
    if fmt == "jsonl":
        return ray.data.read_json(path, lines=True)
    raise ValueError(fmt)


def score_with_ray(
    input_path: str,
    output_dir: str,
    model_dir: str,
    text_column: str = "text",
    input_format: str | None = None,
    batch_size: int = 1024,
    concurrency: int = 1,
    threads: int = 1,
    address: str | None = None,
    num_cpus: int | None = None,
) -> str:
    """Score `input_path` with Ray Data and write Parquet files under `output_dir` (rows in input order)."""
    import ray

    from serving.bulk.tableio import detect_format

    fmt = detect_format(input_path, input_format)
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ds = read_dataset(input_path, fmt)
    scored = ds.map_batches(
        PredictorActor,
        fn_constructor_kwargs={
            "model_dir": str(Path(model_dir).resolve()),
            "text_column": text_column,
            "threads": threads,
        },
        batch_size=batch_size,
        batch_format="pyarrow",
        concurrency=concurrency,
        num_cpus=threads,
    )
    scored.write_parquet(output_dir)
    return output_dir
