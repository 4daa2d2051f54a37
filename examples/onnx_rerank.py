"""Rerank with the ONNX Runtime backend (fp32 and dynamic int8) and compare with the torch scores.

The first run exports the model with torch.onnx.export into a cache folder ($ENTAILKIT_CACHE_DIR, here a
temporary one); later loads reuse the export. Uses ../shared/models/minilm-l6-sick-nli (or
$ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/onnx_rerank.py
"""

from __future__ import annotations

import os
import sys
import tempfile

from _shared import SICK_NLI, require

from entailkit import Reranker, load_scorer

QUERY = "A person is playing music."
DOCUMENTS = [
    "A woman is slicing an onion in the kitchen.",
    "A man is playing a guitar on stage.",
    "Two dogs are running through a grassy field.",
    "A boy is playing a piano in a music school.",
]


def main() -> int:
    require(SICK_NLI)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ENTAILKIT_CACHE_DIR"] = cache
        torch_ranked = Reranker(load_scorer(SICK_NLI)).rerank(QUERY, DOCUMENTS)
        for quantize in (None, "int8"):
            scorer = load_scorer(SICK_NLI, backend="onnx", quantize=quantize)
            ranked = Reranker(scorer).rerank(QUERY, DOCUMENTS)
            torch_score = {item.index: item.score for item in torch_ranked}
            gap = max(abs(item.score - torch_score[item.index]) for item in ranked)  # same document, both backends
            print(f"{scorer.info.dtype}: order {[item.index for item in ranked]}, max |score - torch| {gap:.2e}")
            if quantize is None:
                assert gap < 1e-4 and [i.index for i in ranked] == [i.index for i in torch_ranked]
    print(f"torch: order {[item.index for item in torch_ranked]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
