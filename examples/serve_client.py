"""Serve the SICK NLI model over HTTP in this process, call it with entailkit.Client, shut it down.

    python examples/serve_client.py [path/to/minilm-l6-sick-nli]

The same server runs from the shell with ``entailkit serve --model <dir>``; here it starts on a free
loopback port in a background thread (BackgroundServer) so the example needs nothing else running. Exits 2
with a message when the model is absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import httpx

from entailkit import Client, load_scorer
from entailkit.serve import BackgroundServer

SHARED = Path(os.environ.get("ENTAILKIT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
MODEL = SHARED / "models/minilm-l6-sick-nli"


def main() -> int:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL
    if not (model / "config.json").is_file():
        print(f"cannot run: model absent: {model} (set ENTAILKIT_SHARED or pass a path)", file=sys.stderr)
        return 2
    scorer = load_scorer(model)
    with BackgroundServer(scorer) as server, Client(server.url) as client:
        print("serving on", server.url, "->", client.health()["head"])

        ranked = client.rerank(
            "a man playing music",
            ["A woman is slicing an onion.", "A man is playing a guitar.", "A dog runs in the park."],
            top_n=2,
        )
        for item in ranked:
            print(f"rerank  {item.score:.3f}  {item.text}")

        report = client.check(
            "A man is playing an instrument. He is standing on the moon.",
            ["A man is playing a guitar on a stage."],
        )
        for sentence in report.sentences:
            print(f"check   {sentence.verdict:<12} {sentence.score:.3f}  {sentence.text}")

        (label,) = client.classify(["A man is cutting a tomato."], ["cooking", "sports", "music"])
        print("classify", label.top, f"{label.top_score:.3f}")

        # Any Cohere / Jina client works too: the same endpoint in the Cohere v2 shape.
        cohere_shape = httpx.post(
            f"{server.url}/v2/rerank",
            json={"model": "any", "query": "a man playing music", "documents": ["A man plays a flute."], "top_n": 1},
        ).json()
        print("cohere v2 response:", cohere_shape["results"])
    print("server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
