"""Latency of streaming groundedness checks: how soon after its last chunk a sentence has its verdict.

A 6-sentence answer is streamed in ``--chunk``-character chunks, one every ``--chunk-ms`` (a fake LLM),
against 5 contexts with ``minilm-l6-general-nli`` on CPU. For each sentence it measures the delay from
the chunk holding its last character to its verdict (``stream``, and ``astream`` where the chunks keep
coming while a check runs), beside the time of checking that sentence alone
(``check(sentence, contexts)``). A sentence is checked speculatively once its end mark has arrived, and
its verdict is yielded when the next sentence's first word confirms the boundary, so the delay is the
larger of the scoring and that wait (plus, with the sync ``stream``, reading the confirming chunk after
the check). It also checks that the streamed verdicts
equal those of ``check`` on the whole answer. Median over ``--rounds``.

    python scripts/bench_stream.py --rounds 3 --out bench_stream.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import torch

from entailkit import GroundednessChecker, load_scorer

SHARED = Path(os.environ.get("ENTAILKIT_SHARED") or Path(__file__).resolve().parents[2] / "shared")
DEFAULT_MODEL = SHARED / "models" / "minilm-l6-general-nli"
CONTEXTS = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France.",
    "The tower was completed in 1889 as the entrance arch of the World's Fair.",
    "It is about 330 metres tall, the tallest structure in Paris.",
    "The tower is named after the engineer Gustave Eiffel, whose company designed and built it.",
    "Nearly seven million people visit the tower every year, e.g. by lift or by the stairs.",
]
ANSWER = (
    "The Eiffel Tower is a lattice tower in Paris, e.g. on the Champ de Mars. "
    "It was completed in 1889. "
    "The tower is made of chocolate. "
    "It is about 330 metres tall. "
    "It was designed by Leonardo da Vinci. "
    "Millions of people visit it every year."
)


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_delays(checker: GroundednessChecker, pieces: list[str], pause: float) -> tuple[list[float], list[str]]:
    """Per sentence: seconds from the chunk with its last character to its verdict (sync ``stream``)."""
    sent_at: list[float] = []

    def llm() -> Iterator[str]:
        for piece in pieces:
            time.sleep(pause)
            sent_at.append(time.perf_counter())
            yield piece

    ends = _chunk_of_end(pieces)
    delays, verdicts = [], []
    for item in checker.stream(llm(), CONTEXTS):
        delays.append(time.perf_counter() - sent_at[ends(item.end)])
        verdicts.append(item.verdict)
    return delays, verdicts


def astream_delays(checker: GroundednessChecker, pieces: list[str], pause: float) -> tuple[list[float], list[str]]:
    """As ``stream_delays`` with ``astream``: the chunks keep coming while a sentence is checked."""
    sent_at: list[float] = []

    async def llm() -> AsyncIterator[str]:
        for piece in pieces:
            await asyncio.sleep(pause)
            sent_at.append(time.perf_counter())
            yield piece

    async def run() -> tuple[list[float], list[str]]:
        ends = _chunk_of_end(pieces)
        delays, verdicts = [], []
        async for item in checker.astream(llm(), CONTEXTS):
            delays.append(time.perf_counter() - sent_at[ends(item.end)])
            verdicts.append(item.verdict)
        return delays, verdicts

    return asyncio.run(run())


def _chunk_of_end(pieces: list[str]) -> Any:
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    return lambda end: next(i for i in range(len(pieces)) if starts[i] < end <= starts[i + 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--chunk", type=int, default=4, help="characters per chunk (about one token)")
    parser.add_argument("--chunk-ms", type=float, default=20.0, help="ms between chunks (50 tokens/s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    checker = GroundednessChecker(load_scorer(args.model, device="cpu"))
    pieces = chunks(ANSWER, args.chunk)
    pause = args.chunk_ms / 1000
    whole = checker.check(ANSWER, CONTEXTS)
    sentences = [s.text for s in whole.sentences]
    checker.check(ANSWER, CONTEXTS)  # warm up
    solo: list[list[float]] = [[] for _ in sentences]
    sync: list[list[float]] = [[] for _ in sentences]
    aio: list[list[float]] = [[] for _ in sentences]
    equal = True
    for _ in range(args.rounds):
        for i, text in enumerate(sentences):
            started = time.perf_counter()
            checker.check(text, CONTEXTS)
            solo[i].append(time.perf_counter() - started)
        for runner, into in ((stream_delays, sync), (astream_delays, aio)):
            delays, verdicts = runner(checker, pieces, pause)
            equal &= verdicts == [s.verdict for s in whole.sentences]
            for i, d in enumerate(delays):
                into[i].append(d)
    rows = [
        {
            "sentence": text,
            "verdict": whole.sentences[i].verdict,
            "solo_ms": round(1000 * statistics.median(solo[i]), 1),
            "stream_delay_ms": round(1000 * statistics.median(sync[i]), 1),
            "astream_delay_ms": round(1000 * statistics.median(aio[i]), 1),
        }
        for i, text in enumerate(sentences)
    ]
    result = {
        "model": Path(args.model).name,
        "chunk_chars": args.chunk,
        "chunk_ms": args.chunk_ms,
        "chunks": len(pieces),
        "contexts": len(CONTEXTS),
        "rounds": args.rounds,
        "threads": args.threads,
        "verdicts_equal_whole_check": equal,
        "sentences": rows,
    }
    print(f"verdicts equal the whole-answer check: {equal}")
    print(f"{'solo ms':>8} {'stream ms':>10} {'astream ms':>11}  verdict       sentence")
    for row in rows:
        print(
            f"{row['solo_ms']:8.1f} {row['stream_delay_ms']:10.1f} {row['astream_delay_ms']:11.1f}  "
            f"{row['verdict']:<13} {row['sentence'][:50]}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
