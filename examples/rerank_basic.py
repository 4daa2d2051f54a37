"""Rerank passages for a query with an NLI cross-encoder: scores in [0, 1], input indices, documents back.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/rerank_basic.py
"""

from __future__ import annotations

import sys

from _shared import SICK_NLI, require

from entailkit import Reranker, load_scorer

# Documents may be strings, dicts with "text" (and "metadata"), or objects such as LangChain documents.
DOCUMENTS = [
    "A woman is slicing an onion in the kitchen.",
    {"text": "A man is playing a guitar on stage.", "metadata": {"source": "concerts.txt"}, "id": "d2"},
    {"text": "Two dogs are running through a grassy field.", "metadata": {"source": "park.txt"}, "id": "d3"},
    "A boy is playing a piano in a music school.",
]


def main() -> int:
    require(SICK_NLI)
    scorer = load_scorer(SICK_NLI, device="cpu")
    # NLI models read the query as it is (the default query_template "{}"): here a caption-like sentence.
    reranker = Reranker(scorer, top_n=3)
    result = reranker.rerank("A person is playing music.", DOCUMENTS)
    print(f"query: {result.query!r} -> hypothesis {result.hypothesis!r} ({result.head} model)")
    for rank, item in enumerate(result, start=1):
        print(f"{rank}. [{item.index}] {item.score:.3f}  {item.text}  metadata={item.metadata}")
    assert result[0].document is DOCUMENTS[result[0].index]  # the caller's object, never a copy
    assert result.scores == sorted(result.scores, reverse=True) and result.hypothesis == result.query
    print(result.model_dump_json()[:160] + " ...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
