"""Fine-tune the encoder with two heads. A loop that fits on a screen: AdamW with warm-up and cosine decay,
gradient clipping, class-weighted reason loss, early stopping on dev reason macro-F1, checkpoints and --resume."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sklearn.metrics import f1_score
from transformers import AutoTokenizer

from serving.labels import REASONS, SENTIMENTS
from training.config import TrainConfig
from training.data.load import rows_by_source
from training.encode import IGNORE, EncodedSplit, batches, encode_rows
from training.model import ChurnModel

log = logging.getLogger("churnlens.train")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def class_weights(labels: np.ndarray, n: int, scheme: str) -> torch.Tensor | None:
    if scheme == "none":
        return None
    counts = np.bincount(labels[labels >= 0], minlength=n).astype(np.float64) + 1.0
    w = counts.sum() / counts
    if scheme == "sqrt_inverse":
        w = np.sqrt(w)
    return torch.tensor(w / w.mean(), dtype=torch.float32)


@torch.no_grad()
def predict(model: ChurnModel, split: EncodedSplit, device: torch.device, batch_size: int = 64) -> dict:
    model.eval()
    reason_logits, sent_logits = [], []
    order = []
    for idx, ids, mask in batches(split, batch_size, shuffle=False):
        r, s = model(ids.to(device), mask.to(device))
        reason_logits.append(r.float().cpu())
        sent_logits.append(s.float().cpu())
        order.append(idx)
    inv = np.argsort(np.concatenate(order))
    return {
        "reason_logits": torch.cat(reason_logits).numpy()[inv],
        "sentiment_logits": torch.cat(sent_logits).numpy()[inv],
    }


def dev_scores(model: ChurnModel, dev: EncodedSplit, device: torch.device) -> dict[str, float]:
    out = predict(model, dev, device)
    return {
        "reason_macro_f1": float(f1_score(dev.reason, out["reason_logits"].argmax(1), average="macro")),
        "sentiment_macro_f1": float(f1_score(dev.sentiment, out["sentiment_logits"].argmax(1), average="macro")),
    }


def save_model(model: ChurnModel, tokenizer, cfg: TrainConfig, out: Path, extra: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(out / "encoder")
    tokenizer.save_pretrained(out / "encoder")
    heads = {f"reason_head.{k}": v for k, v in model.reason_head.state_dict().items()}
    heads |= {f"sentiment_head.{k}": v for k, v in model.sentiment_head.state_dict().items()}
    save_file({k: v.contiguous().cpu() for k, v in heads.items()}, str(out / "heads.safetensors"))
    meta = {"config": dataclasses.asdict(cfg), "reasons": list(REASONS), "sentiments": list(SENTIMENTS), **extra}
    (out / "churnlens_model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load_heads(model: ChurnModel, path: Path) -> None:
    state = load_file(str(path))
    model.reason_head.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith("reason")})
    model.sentiment_head.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith("sentiment")})


def load_model(path: Path, device: torch.device | str = "cpu", attn_implementation: str = "sdpa") -> ChurnModel:
    model = ChurnModel.from_encoder(str(Path(path) / "encoder"), attn_implementation=attn_implementation)
    load_heads(model, Path(path) / "heads.safetensors")
    return model.to(device).eval()


def non_embedding_params(model: ChurnModel) -> int:
    emb = getattr(model.encoder, "embeddings", None)
    n_emb = sum(p.numel() for p in emb.parameters()) if emb is not None else 0
    return sum(p.numel() for p in model.parameters()) - n_emb


def train(cfg: TrainConfig, train_rows: list[dict], dev_rows: list[dict], resume: bool = False) -> Path:
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(cfg.model)
    if cfg.limit_train:
        train_rows = train_rows[: cfg.limit_train]
    composition = rows_by_source(train_rows)
    train_set = encode_rows(tokenizer, train_rows, cfg.max_length, cfg.truncation, cfg.text_prefix)
    dev_set = encode_rows(tokenizer, dev_rows, cfg.max_length, cfg.truncation, cfg.text_prefix)

    model = ChurnModel.from_encoder(cfg.model, cfg.dropout)
    if cfg.init_heads:
        load_heads(model, Path(cfg.init_heads))
    model = model.to(device)
    model.freeze(cfg.freeze_layers)
    decay, no_decay = [], []
    for p in model.encoder.parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 else decay).append(p)
    heads = list(model.reason_head.parameters()) + list(model.sentiment_head.parameters())
    optim = torch.optim.AdamW(
        [
            {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
            {"params": heads, "lr": cfg.head_lr, "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    total_steps = max(1, int(steps_per_epoch * cfg.epochs))
    warmup = max(1, int(total_steps * cfg.warmup_ratio))

    def lr_factor(step: int) -> float:  # linear warm-up, cosine decay to 10 %
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    base_lrs = [g["lr"] for g in optim.param_groups]
    rw = class_weights(train_set.reason, len(REASONS), cfg.class_weighting)
    reason_loss = torch.nn.CrossEntropyLoss(weight=rw.to(device) if rw is not None else None)
    sentiment_loss = torch.nn.CrossEntropyLoss()

    step, best, bad_evals, history = 0, -1.0, 0, []
    ckpt = out / "checkpoint.pt"
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        step, best, bad_evals, history = state["step"], state["best"], state["bad_evals"], state["history"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed at step %d (best dev reason macro-F1 %.4f)", step, best)

    n_params = non_embedding_params(model)
    log.info(
        "train %d, dev %d, %d steps, %d non-embedding params, device %s",
        len(train_set),
        len(dev_set),
        total_steps,
        n_params,
        device,
    )
    tokens_seen, t0, stop, start_step = 0, time.time(), False, step
    while step < total_steps and not stop:
        epoch, offset = divmod(step, steps_per_epoch)
        for idx, ids, mask in batches(train_set, cfg.batch_size, shuffle=True, seed=cfg.seed + epoch, skip=offset):
            model.train()
            for g, base in zip(optim.param_groups, base_lrs, strict=True):
                g["lr"] = base * lr_factor(step)
            ids, mask = ids.to(device), mask.to(device)
            r_logits, s_logits = model(ids, mask)
            y_r = torch.as_tensor(train_set.reason[idx], device=device)
            y_s = torch.as_tensor(train_set.sentiment[idx], device=device)
            loss = cfg.sentiment_loss_weight * sentiment_loss(s_logits, y_s)
            if (train_set.reason[idx] != IGNORE).any():  # a batch of sentiment-only rows has no reason loss (not NaN)
                loss = loss + cfg.reason_loss_weight * reason_loss(r_logits, y_r)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optim.step()
            step += 1
            tokens_seen += int(mask.sum())
            if step % 20 == 0:
                dt = time.time() - t0
                # forward + backward ~ 6 FLOPs per non-embedding parameter per token (attention not counted)
                log.info(
                    "step %d/%d loss %.4f %.0f tok/s %.2f TFLOP/s",
                    step,
                    total_steps,
                    loss.item(),
                    tokens_seen / dt,
                    6 * n_params * tokens_seen / dt / 1e12,
                )
            if step % cfg.eval_every == 0 or step == total_steps:
                scores = dev_scores(model, dev_set, device)
                history.append({"step": step, **scores})
                log.info("step %d dev %s", step, scores)
                if scores["reason_macro_f1"] > best:
                    best, bad_evals = scores["reason_macro_f1"], 0
                    save_model(
                        model, tokenizer, cfg, out / "best", {"step": step, "dev": scores, "train_rows": composition}
                    )
                else:
                    bad_evals += 1
                    if bad_evals >= cfg.patience:
                        log.info("early stop: %d evaluations without improvement", bad_evals)
                        stop = True
            pause = bool(cfg.stop_after) and step - start_step >= cfg.stop_after
            if step % cfg.checkpoint_every == 0 or stop or pause or step == total_steps:
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optim": optim.state_dict(),
                        "step": step,
                        "best": best,
                        "bad_evals": bad_evals,
                        "history": history,
                        "torch_rng": torch.get_rng_state(),
                    },
                    ckpt.with_suffix(".tmp"),
                )
                ckpt.with_suffix(".tmp").replace(ckpt)
            if stop or pause or step >= total_steps:
                break
        if cfg.stop_after and step - start_step >= cfg.stop_after:
            log.info("paused at step %d; continue with --resume", step)
            return out / "best"
    (out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return out / "best"
