"""Check an LLM answer sentence by sentence while it streams: flag, drop or stop before a bad sentence.

A fake LLM streams its answer a few characters at a time (cuts inside words and inside "e.g.");
``GroundednessChecker.stream`` checks each sentence as soon as it is complete, and ``astream`` does the
same over an async stream with the model kept off the event loop. The verdicts are those of ``check``
on the whole answer.

Uses ../shared/models/minilm-l6-general-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/stream_check.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Iterator

from _shared import GENERAL_NLI, require

from entailkit import GroundednessChecker, load_scorer

CONTEXTS = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France.",
    "The tower was completed in 1889 for the World's Fair and is about 330 metres tall.",
]
ANSWER = (
    "The Eiffel Tower is a tower in Paris, e.g. on the Champ de Mars. It was completed in 1889. "
    "The tower is made of chocolate. It is about 330 metres tall."
)


def fake_llm(text: str, size: int = 5) -> Iterator[str]:
    """A streaming LLM stand-in: ``size`` characters per chunk, a little delay between chunks."""
    for i in range(0, len(text), size):
        time.sleep(0.005)
        yield text[i : i + size]


async def afake_llm(text: str, size: int = 5) -> AsyncIterator[str]:
    for i in range(0, len(text), size):
        await asyncio.sleep(0.005)
        yield text[i : i + size]


async def stop_early(checker: GroundednessChecker) -> str:
    emitted = []
    async for item in checker.astream(afake_llm(ANSWER), CONTEXTS, policy="stop"):
        emitted.append(item.text)
        print(f"  async {item.action:>8} {item.verdict:>12}  {item.check.text!r}")
    return "".join(emitted)


def main() -> int:
    require(GENERAL_NLI)
    checker = GroundednessChecker(load_scorer(GENERAL_NLI, device="cpu"), threshold=0.5)
    whole = checker.check(ANSWER, CONTEXTS)

    print("policy=drop, sentence by sentence as the answer streams:")
    stream = checker.stream(fake_llm(ANSWER), CONTEXTS, policy="drop")
    shown = []
    for item in stream:
        shown.append(item.text)
        print(f"  [{item.start:3d}, {item.end:3d}) {item.action:>8} {item.verdict:>12} {item.check.score:.2f}")
    assert stream.report is not None
    assert [s.verdict for s in stream.report.sentences] == [s.verdict for s in whole.sentences]
    print(f"reader saw: {''.join(shown)!r}")
    print(f"grounded: {stream.report.grounded} (the whole-answer check says {whole.grounded})")

    print("policy=stop over an async stream:")
    print(f"reader saw: {asyncio.run(stop_early(checker))!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
