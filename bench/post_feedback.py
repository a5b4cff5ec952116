"""Post labelled rows of a split as corrections to a running API (`POST /v1/feedback`), e.g. the real-review dev
labels, to exercise the retraining loop on the shipped model.

    python bench/post_feedback.py --url http://127.0.0.1:8000 --split dev --origin real --limit 240 [--api-key K]
"""

from __future__ import annotations

import argparse

import httpx

from training.data.load import load_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--origin", default="real")
    ap.add_argument("--limit", type=int, default=240)
    ap.add_argument("--api-key", default=None)
    args = ap.parse_args()
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    rows = [r for r in load_rows() if r["split"] == args.split and r["origin"] == args.origin][: args.limit]
    created = 0
    with httpx.Client(base_url=args.url, timeout=30, headers=headers) as c:
        for r in rows:
            pred = c.post("/v1/classify", json={"text": r["text"], "id": r["id"]}).json()
            body = {
                "message_id": r["id"],
                "text": r["text"],
                "model_version": pred["model"],
                "predicted_reason": pred["reason"],
                "predicted_sentiment": pred["sentiment"],
                "corrected_reason": r["reason"],
                "corrected_sentiment": r["sentiment"],
                "annotator": "dev-labels",
                "idempotency_key": f"dev-labels:{r['id']}",
            }
            resp = c.post("/v1/feedback", json=body)
            resp.raise_for_status()
            created += resp.status_code == 201
    print(f"posted {len(rows)} corrections ({created} new)")


if __name__ == "__main__":
    main()
