"""Check the CUDA paths of the scorers: every dtype loads on the GPU, scores match CPU fp32, and throughput.

Usage: python scripts/gpu_check.py MODEL_DIR  (needs a CUDA GPU; prints JSON lines)
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

from entailkit import load_scorer
from entailkit.errors import ModelLoadError

model = sys.argv[1]
premises = ["A man is playing guitar.", "A woman is slicing an onion.", "The cat sleeps on the sofa. " * 200]
hypotheses = ["A person plays music.", "A man is cutting a potato.", "An animal is resting."]
reference = load_scorer(model, device="cpu").score_pairs(premises, hypotheses)
print(json.dumps({"cpu_fp32": [round(s, 5) for s in reference.scores]}))
for dtype in (None, "float32", "float16", "bfloat16"):
    scorer = load_scorer(model, device="cuda", dtype=dtype)
    result = scorer.score_pairs(premises, hypotheses)
    diff = float(np.max(np.abs(np.array(result.scores) - np.array(reference.scores))))
    batch = premises[:2] * 2048
    hyps = hypotheses[:2] * 2048
    scorer.score_pairs(batch[:256], hyps[:256])
    torch.cuda.synchronize()
    start = time.perf_counter()
    scorer.score_pairs(batch, hyps)
    torch.cuda.synchronize()
    rate = len(batch) / (time.perf_counter() - start)
    print(
        json.dumps(
            {
                "dtype": scorer.info.dtype,
                "requested": dtype,
                "device": scorer.info.device,
                "max_abs_diff_vs_cpu_fp32": diff,
                "short_pairs_per_s": round(rate),
                "scores": result.scores,
            }
        )
    )
try:
    load_scorer(model, device="cuda:7")
except ModelLoadError as exc:
    print(json.dumps({"cuda:7": f"ModelLoadError: {exc}"}))
print(json.dumps({"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__}))
