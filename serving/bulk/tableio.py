"""Streaming table input and output for CSV, TSV, JSONL and Parquet, chunk by chunk (pyarrow), so memory stays
flat however large the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "tsv", "jsonl", "parquet")
INPUT_ERROR = "__churnlens_input_error"  # internal: a row the reader could not take as given (never written out)


def detect_format(path: str | Path, override: str | None = None) -> str:
    if override:
        if override not in FORMATS:
            raise ValueError(f"unknown format {override!r}; choose one of {FORMATS}")
        return override
    suffix = Path(path).suffix.lower().lstrip(".")
    aliases = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet", "txt": "tsv"}
    fmt = aliases.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ValueError(f"cannot tell the format of {path} from its extension; pass --input-format/--output-format")
    return fmt


def read_chunks(path: str | Path, fmt: str, chunk_rows: int, text_column: str | None = None) -> Iterator[pa.Table]:
    """Tables of at most `chunk_rows` rows, in file order. Every column is read as text for CSV/TSV, so ids and
    other columns pass through exactly as written."""
    path = str(path)
    if fmt in ("csv", "tsv"):
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",", newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=None, strings_can_be_null=True, quoted_strings_can_be_null=False, auto_dict_encode=False
            ),
        )
        schema = reader.schema
        string_schema = pa.schema([pa.field(f.name, pa.string()) for f in schema])
        yield from _rechunk((_as_strings(b, string_schema) for b in reader), chunk_rows)
    elif fmt == "parquet":
        pf = pq.ParquetFile(path)
        yield from _rechunk(pf.iter_batches(batch_size=chunk_rows), chunk_rows)
    elif fmt == "jsonl":
        yield from _read_jsonl(path, chunk_rows, text_column)
    else:
        raise ValueError(fmt)


def _as_strings(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    cols = [c if c.type == pa.string() else c.cast(pa.string()) for c in batch.columns]
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def _rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    n = 0
    for b in batches:
        while b.num_rows:
            take = min(rows - n, b.num_rows)
            pending.append(b.slice(0, take))
            n += take
            b = b.slice(take)
            if n == rows:
                yield pa.Table.from_batches(pending)
                pending, n = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _jsonl_keys(path: str) -> list[str]:
    """Every key of every object, in order of first appearance (a first pass, so all chunks share one schema)."""
    keys: dict[str, None] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    keys.update(dict.fromkeys(obj))
    return list(keys)


def _read_jsonl(path: str, rows: int, text_column: str | None) -> Iterator[pa.Table]:
    """JSON lines, one object each. Values that are not strings are kept as their JSON text; a line that is not a
    JSON object, or whose text is not a string, is still a row, carrying an input error instead of a prediction."""
    keys = _jsonl_keys(path)
    chunk: list[dict] = []
    errors: list[str | None] = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            error = None
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                obj, error = {}, f"line {n}: not JSON ({exc.msg})"
            if not isinstance(obj, dict):
                obj, error = {}, f"line {n}: not a JSON object"
            value = obj.get(text_column) if text_column else None
            if error is None and value is not None and not isinstance(value, str):
                error = f"text is {type(value).__name__}, not a string"
            chunk.append(obj)
            errors.append(error)
            if len(chunk) >= rows:
                yield _jsonl_table(chunk, keys, errors)
                chunk, errors = [], []
    if chunk:
        yield _jsonl_table(chunk, keys, errors)


def _jsonl_table(rows: list[dict], keys: list[str], errors: list[str | None]) -> pa.Table:
    cols = {
        k: pa.array([None if (v := r.get(k)) is None else _json_value(v) for r in rows], type=pa.string()) for k in keys
    }
    cols[INPUT_ERROR] = pa.array(errors, type=pa.string())
    return pa.table(cols)


def _json_value(v: object) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


class TableWriter:
    """Writes tables with one schema to one file of the given format."""

    def __init__(self, path: str | Path, fmt: str) -> None:
        self.path, self.fmt = str(path), fmt
        self._writer = None
        self._schema: pa.Schema | None = None
        self._fh = None

    def write(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(self.path, table.schema)
            self._writer.write_table(table.cast(self._schema))
        elif self.fmt in ("csv", "tsv"):
            if self._writer is None:
                opts = pacsv.WriteOptions(delimiter="\t" if self.fmt == "tsv" else ",", quoting_style="needed")
                self._schema = table.schema
                self._writer = pacsv.CSVWriter(self.path, table.schema, write_options=opts)
            self._writer.write_table(table.cast(self._schema))
        elif self.fmt == "jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            for row in table.to_pylist():
                self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            raise ValueError(self.fmt)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
