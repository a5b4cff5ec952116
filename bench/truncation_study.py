"""Head+tail versus head-only truncation of long messages, with the same shipped model, on the dev split (dev, so
the test split stays untouched). Also prints the token-length distribution the max length was chosen from.

    python bench/truncation_study.py [--model-dir models/<v>] [--split dev]
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
from sklearn.metrics import f1_score

from serving.labels import REASONS
from serving.predictor import Predictor
from training.data.load import load_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--split", default="dev")
    args = ap.parse_args()
    pred = Predictor(args.model_dir)
    rows = [r for r in load_rows() if r["split"] == args.split]
    texts = pred._clean([r["text"] for r in rows])
    y = np.array([REASONS.index(r["reason"]) for r in rows])
    lengths = np.array(
        [
            len(e.ids) + 2
            for e in pred.tokenizer.encode_batch([pred.spec.text_prefix + t for t in texts], add_special_tokens=False)
        ]
    )
    print(
        "token lengths:",
        json.dumps({f"p{q}": int(np.percentile(lengths, q)) for q in (50, 75, 90, 95, 99)}),
        f"max {lengths.max()}, over {pred.spec.max_length}: {(lengths > pred.spec.max_length).mean():.1%}",
    )
    long_rows = lengths > pred.spec.max_length
    for policy in ("head_tail", "head"):
        pred.spec = dataclasses.replace(pred.spec, truncation=policy)
        ids, _ = pred.encode(texts)
        r, _ = pred.logits(ids)
        p = r.argmax(1)
        print(
            f"{policy:<9} {args.split} reason macro-F1 {f1_score(y, p, average='macro'):.4f}; "
            f"on the {long_rows.sum()} long messages: accuracy {(p[long_rows] == y[long_rows]).mean():.4f}"
        )


if __name__ == "__main__":
    main()
