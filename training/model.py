"""One encoder, mean pooling, two linear heads: reason (7 classes) and sentiment (3)."""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel

from serving.labels import REASONS, SENTIMENTS


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """e5 pooling: the mean over every real token, <s> and </s> included."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class ChurnModel(nn.Module):
    def __init__(self, encoder: nn.Module, hidden: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.reason_head = nn.Linear(hidden, len(REASONS))
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENTS))

    @classmethod
    def from_encoder(cls, name_or_path: str, dropout: float = 0.1, attn_implementation: str = "sdpa") -> ChurnModel:
        config = AutoConfig.from_pretrained(name_or_path)
        encoder = AutoModel.from_pretrained(name_or_path, attn_implementation=attn_implementation)
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # mean pooling is ours; BERT's [CLS] pooler would only be dead weight
        return cls(encoder, config.hidden_size, dropout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(mean_pool(hidden, attention_mask))
        return self.reason_head(pooled), self.sentiment_head(pooled)

    def freeze(self, n_layers: int) -> None:
        """Freeze the embeddings and the first `n_layers` encoder layers."""
        if n_layers <= 0:
            return
        emb = getattr(self.encoder, "embeddings", None)
        if emb is not None:
            emb.requires_grad_(False)
        layers = getattr(getattr(self.encoder, "encoder", None), "layer", [])
        for layer in list(layers)[:n_layers]:
            layer.requires_grad_(False)
