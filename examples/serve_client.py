"""Serve the SICK NLI model over HTTP in this process, call it with entailkit.Client, shut it down.

    python examples/serve_client.py [path/to/minilm-l6-sick-nli]

The same server runs from the shell with ``entailkit serve --model <dir>``; here it starts on a free
loopback port in a background thread (BackgroundServer) so the example needs nothing else running. Exits 2
with a message when the model is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from _shared import SICK_NLI, require

from entailkit import Client, load_scorer
from entailkit.serve import BackgroundServer


def main() -> int:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else SICK_NLI
    require(model)
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
