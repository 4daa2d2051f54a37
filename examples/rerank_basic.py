"""Rerank passages for a query with an NLI cross-encoder: scores in [0, 1], input indices, documents back.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/rerank_basic.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from entailkit import load_scorer
from entailkit.tasks import Reranker

SHARED = Path(os.environ.get("ENTAILKIT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
MODEL = SHARED / "models/minilm-l6-sick-nli"

# Documents may be strings, dicts with "text" (and "metadata"), or objects such as LangChain documents.
DOCUMENTS = [
    "A woman is slicing an onion in the kitchen.",
    {"text": "A man is playing a guitar on stage.", "metadata": {"source": "concerts.txt"}, "id": "d2"},
    {"text": "Two dogs are running through a grassy field.", "metadata": {"source": "park.txt"}, "id": "d3"},
    "A boy is playing a piano in a music school.",
]


def main() -> int:
    if not (MODEL / "config.json").is_file():
        print(f"cannot run: model absent: {MODEL} (set ENTAILKIT_SHARED)", file=sys.stderr)
        return 2
    scorer = load_scorer(MODEL, device="cpu")
    # The SICK model knows captions, so the query is a caption-like sentence and is used as is ("{}").
    reranker = Reranker(scorer, query_template="{}", top_n=3)
    result = reranker.rerank("A person is playing music.", DOCUMENTS)
    print(f"query: {result.query!r} -> hypothesis {result.hypothesis!r} ({result.head} model)")
    for rank, item in enumerate(result, start=1):
        print(f"{rank}. [{item.index}] {item.score:.3f}  {item.text}  metadata={item.metadata}")
    assert result[0].document is DOCUMENTS[result[0].index]  # the caller's object, never a copy
    assert result.scores == sorted(result.scores, reverse=True)
    print(result.model_dump_json()[:160] + " ...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
