"""The machine's limit: measured GEMM FLOP/s at a model's own shapes, and the FLOPs a model run needs.

The peak is what ``torch.matmul`` reaches on the three weight products of an encoder layer
(tokens x hidden @ hidden x hidden, hidden x intermediate and back) with the thread count the
benchmark uses; a model run's achieved FLOP/s divided by it says how much of the machine the
inference path uses (the rest goes to attention, softmax, layer norms, tokenization and padding).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

__all__ = ["encoder_shapes", "flops_per_sequence", "gemm_peak", "model_flops"]


def encoder_shapes(config: Any) -> tuple[int, int, int, int]:
    """(layers, hidden, intermediate, heads) of a BERT-like encoder config.

    Args:
        config: A transformers config with ``num_hidden_layers``, ``hidden_size``, ``intermediate_size``
            and ``num_attention_heads``.
    """
    return (
        int(config.num_hidden_layers),
        int(config.hidden_size),
        int(config.intermediate_size),
        int(config.num_attention_heads),
    )


def flops_per_sequence(config: Any, n_tokens: int) -> float:
    """Forward FLOPs of one sequence of ``n_tokens``: weight products plus attention scores and mixing.

    Per layer and token: 2 * (4 h^2 + 2 h i) for Q, K, V, output and the feed-forward; attention adds
    2 * 2 * n * h (Q K^T and the weighted sum of V). Embeddings, norms and the head are ignored (small).

    Args:
        config: The encoder's config.
        n_tokens: The sequence's length.
    """
    layers, hidden, inter, _ = encoder_shapes(config)
    per_token = 2.0 * (4 * hidden * hidden + 2 * hidden * inter) + 4.0 * n_tokens * hidden
    return layers * per_token * n_tokens


def model_flops(config: Any, token_counts: Iterable[int]) -> float:
    """Useful FLOPs of a run (real tokens only, padding excluded).

    Args:
        config: The encoder's config.
        token_counts: Each sequence's length.
    """
    return sum(flops_per_sequence(config, n) for n in token_counts)


def gemm_peak(config: Any, *, tokens: int = 4096, seconds: float = 1.0) -> dict[str, float]:
    """Measured float32 FLOP/s of the encoder's weight products at ``tokens`` rows (best of several runs).

    Args:
        config: The encoder's config (its shapes).
        tokens: Rows of each product.
        seconds: How long each product is timed.

    Returns:
        FLOP/s of ``qkv/out``, ``ffn-up`` and ``ffn-down``, and ``peak``: their mix in one layer's proportions.
    """
    import torch

    _, hidden, inter, _ = encoder_shapes(config)
    shapes = {
        "qkv/out": (tokens, hidden, hidden),
        "ffn-up": (tokens, hidden, inter),
        "ffn-down": (tokens, inter, hidden),
    }
    out: dict[str, float] = {}
    with torch.inference_mode():
        for name, (m, k, n) in shapes.items():
            a, b = torch.randn(m, k), torch.randn(k, n)
            torch.matmul(a, b)  # warm-up
            best = float("inf")
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                torch.matmul(a, b)
                best = min(best, time.perf_counter() - start)
            out[name] = 2.0 * m * k * n / best
    # The layer's weight FLOPs split 4 h^2 (hidden x hidden) : 2 h i (half up, half down).
    weights = {"qkv/out": 4 * hidden * hidden, "ffn-up": hidden * inter, "ffn-down": hidden * inter}
    total = sum(weights.values())
    out["peak"] = total / sum(weights[name] / out[name] for name in weights)
    return out
