"""Streaming groundedness checks: each sentence of an answer checked as soon as it is complete.

An LLM answer arrives in chunks. ``GroundednessChecker.stream`` (sync chunks) and ``astream`` (async
chunks) grow the answer chunk by chunk, split it with the checker's own splitter, and check a sentence
the moment it is *complete*: when the splitter sees a next sentence after it and that sentence's first
word is whole (the built-in splitter's decision at a ``.`` can depend on that word: "Inc. The" splits,
"Inc. Thereby" does not), or when the stream ends. A sentence the answer so far ends with (its end
mark has arrived) is checked speculatively at once, so its verdict is ready when the next chunk
confirms the boundary; a guess the text goes past ("e.g." continued) is dropped. Each checked sentence is yielded as a
``StreamedSentence``: its ``SentenceCheck`` (index and span in the whole answer) and the text to pass on
under the policy (``flag``, ``drop`` or ``stop``). The iterator's ``report`` is the whole answer's
``GroundednessReport`` once the stream has ended.

A question asked inside the answer (a sentence ending with "?") is not checked: its text goes out with
the next sentence, which it is the question of when the stream was given none (as in ``check``); a
question that ends the answer is not emitted. A sentence is checked on its own, with its question
(``question_mode``) but no other sentence, so its
verdict equals the one ``check(whole_answer, contexts)`` gives it whenever every context fits the model
next to it in one window (the usual retrieved chunk). For longer contexts, ``check`` sizes the windows
for the answer's longest sentence, which a stream cannot know yet; a streamed sentence is scored against
windows sized for itself (as ``check(sentence, contexts)`` would). The aggregate (``report``) uses the
checker's own rule over the streamed verdicts.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from entailkit._validation import check_text, check_texts
from entailkit.errors import InvalidInputError
from entailkit.tasks.question_claims import is_question
from entailkit.types import GroundednessReport, SentenceCheck, Span, StreamedSentence, StreamPolicy

if TYPE_CHECKING:
    from entailkit.tasks.groundedness import GroundednessChecker, _Job

__all__ = ["AsyncGroundednessStream", "GroundednessStream"]

_POLICIES = ("flag", "drop", "stop")
# What the built-in splitter reads after a stop to decide a boundary: optional opening quotes, a word.
# Letters of any script (German, Russian, ... words decide too: "3. Mai"), but CJK: a CJK stop decides alone.
_FIRST_WORD = re.compile(r"[\"'“‘„«(\[¿¡]*(?:(?![\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff])[^\W\d_])*")
# A sentence that ends like this may be complete: the next chunk says (see _Splitter.tentative).
_ENDS = re.compile(r"[.!?。！？…][\"'”’)\]]*\s*$")


@dataclass
class _Sentence:
    """A complete sentence: its index, text and span in the whole answer, and where its emitted text starts."""

    index: int
    text: str
    span: Span
    emit_start: int
    last: bool = False
    asked: str | None = None
    """The last question asked inside the answer before this sentence (``is_question``), if any."""


@dataclass
class _Answer:
    """What the checker's summary reads of an answer."""

    answer: str
    contexts: list[str]
    question: str | None


@dataclass
class _Splitter:
    """The answer so far, split again after each chunk; hands out each sentence once, when complete."""

    splitter: Any
    buffer: str = ""
    done: int = 0
    emitted_to: int = 0
    parts: list[str] = field(default_factory=list)
    handed_out: int = 0
    asked: str | None = None

    def feed(self, chunk: Any) -> list[_Sentence]:
        if not isinstance(chunk, str):
            raise InvalidInputError(f"stream chunks must be str, got {type(chunk).__name__}.")
        if not chunk:
            return []
        self.buffer += chunk
        return self._take(final=False)

    def finish(self) -> list[_Sentence]:
        return self._take(final=True)

    def tentative(self) -> _Sentence | None:
        """The first sentence not yet complete, if the answer so far ends with its end mark (".", "?", ...)
        or a next sentence has begun whose first word is not whole yet.

        It is checked speculatively: if the next chunk confirms the boundary, its verdict is ready at once;
        if not ("e.g." goes on), the check is dropped.
        """
        sentences = _spans(self.splitter, self.buffer)
        if self.done >= len(sentences):
            return None
        text, span = sentences[self.done]
        if is_question(text):
            return None  # a question is not checked: it waits for the sentence it asks about
        split_after = len(sentences) > self.done + 1  # a next sentence has begun, its first word not whole
        if not split_after and (span[1] != len(self.buffer.rstrip()) or not _ENDS.search(text)):
            return None
        return _Sentence(self.handed_out, text, span, self.emitted_to, asked=self.asked)

    def _take(self, *, final: bool) -> list[_Sentence]:
        sentences = _spans(self.splitter, self.buffer)
        ready = len(sentences) if final else _complete(self.buffer, sentences)
        out: list[_Sentence] = []
        for i in range(self.done, ready):
            text, span = sentences[i]
            last = final and i == ready - 1
            if is_question(text):  # not a claim: its text goes out with the next sentence (none: not at all)
                self.asked = text
                continue
            out.append(_Sentence(self.handed_out, text, span, self.emitted_to, last=last, asked=self.asked))
            self.handed_out += 1
            self.emitted_to = span[1]
        self.done = max(self.done, ready)
        return out


def _complete(buffer: str, sentences: Sequence[tuple[str, Span]]) -> int:
    """How many sentences are complete: each one followed by a sentence whose first word is whole."""
    ready = 0
    for i in range(len(sentences) - 1):
        match = _FIRST_WORD.match(buffer, sentences[i + 1][1][0])
        if match is None or match.end() >= len(buffer):
            break
        ready = i + 1
    return ready


def _spans(splitter: Any, text: str) -> list[tuple[str, Span]]:
    """The splitter's sentences of ``text`` with their spans (str items are located in the text)."""
    try:
        raw = splitter(text)
    except Exception as exc:
        raise InvalidInputError(f"the sentence splitter failed on the answer: {exc!r}") from exc
    out: list[tuple[str, Span]] = []
    cursor = 0
    for item in raw:
        if isinstance(item, str):
            start = text.find(item, cursor)
            if start < 0:
                raise InvalidInputError(
                    f"a streaming check needs sentences found in the answer; the splitter returned {item!r:.60}."
                )
            sentence, span = item, (start, start + len(item))
        else:
            sentence, span = item[0], (int(item[1][0]), int(item[1][1]))
        if sentence.strip():
            out.append((sentence, span))
            cursor = span[1]
    return out


def _whole(text: str) -> list[tuple[str, Span]]:
    """A splitter that keeps the text as one sentence (the stream has split the answer already)."""
    return [(text, (0, len(text)))]


class _Stream:
    """What the sync and async streams share: options, the sentence checker, policy and summary."""

    def __init__(self, checker: GroundednessChecker, contexts: Any, policy: Any, question: str | None) -> None:
        if policy not in _POLICIES:
            raise InvalidInputError(f"policy must be one of {list(_POLICIES)}, got {policy!r}.")
        if question is not None:
            check_text(question, "question")
        self.checker = checker
        self.contexts = check_texts(contexts, "contexts")
        self.policy: StreamPolicy = policy
        self.question = question
        self.sentence_checker = copy.copy(checker)
        self.sentence_checker.splitter = _whole
        self.splitter = _Splitter(checker.splitter)
        self.checks: list[SentenceCheck] = []
        self.report: GroundednessReport | None = None
        """The whole answer's report, set when the stream ends (or stops); None before."""

    def _question(self, sentence: _Sentence) -> str | None:
        """The question a sentence replies to: the stream's, else the last one asked in the answer."""
        return self.question if self.question is not None else sentence.asked

    def _placed(self, report: GroundednessReport, sentence: _Sentence) -> SentenceCheck:
        (one,) = report.sentences
        return one.model_copy(update={"index": sentence.index, "span": sentence.span})

    def _decide(self, sentence: _Sentence, check: SentenceCheck) -> StreamedSentence:
        self.checks.append(check)
        end = len(self.splitter.buffer) if sentence.last else sentence.span[1]
        text = self.splitter.buffer[sentence.emit_start : end]
        if check.verdict == "supported" or self.policy == "flag":
            return StreamedSentence(check=check, text=text, action="emitted")
        if self.policy == "drop":
            return StreamedSentence(check=check, text="", action="dropped")
        self._summarise(check.span[1] if check.span else len(self.splitter.buffer))
        return StreamedSentence(check=check, text="", action="stopped")

    def _summarise(self, upto: int | None = None) -> None:
        answer = self.splitter.buffer if upto is None else self.splitter.buffer[:upto]
        asked = self.question if self.question is not None else self.splitter.asked
        job = cast("_Job", _Answer(answer, self.contexts, asked))
        self.report = self.checker._summary(job, list(self.checks))


class GroundednessStream(_Stream, Iterator[StreamedSentence]):
    """The verdicts of a sync stream of answer chunks, one ``StreamedSentence`` per sentence, in order.

    Made by ``GroundednessChecker.stream``. A sentence is checked (in the consumer's thread) as soon as it
    is complete, before the next chunk is read. ``report`` holds the whole answer's report once the
    stream has ended; under ``stop`` it covers the answer up to the stopping sentence. Closing the stream
    (or its stopping) closes the chunk iterator.
    """

    def __init__(
        self,
        checker: GroundednessChecker,
        chunks: Iterable[str],
        contexts: Sequence[str],
        policy: StreamPolicy = "flag",
        question: str | None = None,
    ) -> None:
        super().__init__(checker, contexts, policy, question)
        self._chunks = iter(chunks)
        self._speculated: dict[tuple[str, Span], SentenceCheck] = {}
        self._gen = self._run()

    def __next__(self) -> StreamedSentence:
        return next(self._gen)

    def close(self) -> None:
        """Stop the stream and close the chunk iterator."""
        self._gen.close()

    def _check(self, sentence: _Sentence) -> SentenceCheck:
        key = (sentence.text, sentence.span)
        if key in self._speculated:  # checked when its end mark arrived; the next chunk confirmed it
            return self._speculated.pop(key)
        report = self.sentence_checker.check(sentence.text, self.contexts, self._question(sentence))
        return self._placed(report, sentence)

    def _sentences(self) -> Iterator[_Sentence]:
        for chunk in self._chunks:
            yield from self.splitter.feed(chunk)
            self._speculate()
        yield from self.splitter.finish()

    def _speculate(self) -> None:
        """Check the sentence the answer so far ends with, before the next chunk says it is complete."""
        sentence = self.splitter.tentative()
        if sentence is None or (sentence.text, sentence.span) in self._speculated:
            return
        self._speculated.clear()  # an earlier guess the text went past
        self._speculated[(sentence.text, sentence.span)] = self._check(sentence)

    def _run(self) -> Generator[StreamedSentence, None, None]:
        try:
            for sentence in self._sentences():
                item = self._decide(sentence, self._check(sentence))
                yield item
                if item.action == "stopped":
                    return
            self._summarise()
        finally:
            close = getattr(self._chunks, "close", None)
            if callable(close):
                close()


class AsyncGroundednessStream(_Stream, AsyncIterator[StreamedSentence]):
    """The verdicts of an async stream of answer chunks, one ``StreamedSentence`` per sentence, in order.

    Made by ``GroundednessChecker.astream``. One task reads the chunks while each complete sentence is
    checked in its own task, off the event loop (``checker.acheck`` when the checker has it, else
    ``check`` in a worker thread): reading never waits for a check, and a verdict is yielded as soon as
    it and every verdict before it are ready. ``report`` as in ``GroundednessStream``. Closing the stream
    (or its stopping) cancels the pending checks and closes the chunk iterator (``aclose()``).
    """

    def __init__(
        self,
        checker: GroundednessChecker,
        chunks: AsyncIterable[str],
        contexts: Sequence[str],
        policy: StreamPolicy = "flag",
        question: str | None = None,
    ) -> None:
        super().__init__(checker, contexts, policy, question)
        if not hasattr(chunks, "__aiter__"):
            raise InvalidInputError(
                f"astream needs an async iterable of str chunks, got {type(chunks).__name__}; use stream()."
            )
        self._chunks = chunks.__aiter__()
        self._gen = self._run()

    async def __anext__(self) -> StreamedSentence:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Stop the stream, cancel pending checks and close the chunk iterator."""
        await self._gen.aclose()

    async def _check(self, sentence: _Sentence) -> SentenceCheck:
        acheck = getattr(self.sentence_checker, "acheck", None)
        if acheck is not None:
            report = await acheck(sentence.text, self.contexts, self._question(sentence))
        else:
            report = await asyncio.to_thread(
                self.sentence_checker.check, sentence.text, self.contexts, self._question(sentence)
            )
        return self._placed(report, sentence)

    async def _pump(self, queue: asyncio.Queue[Any], tasks: list[asyncio.Task[SentenceCheck]]) -> None:
        speculated: dict[tuple[str, Span], asyncio.Task[SentenceCheck]] = {}

        def spawn(sentences: list[_Sentence]) -> None:
            for sentence in sentences:
                task = speculated.pop((sentence.text, sentence.span), None)
                if task is None:
                    task = asyncio.ensure_future(self._check(sentence))
                    tasks.append(task)
                queue.put_nowait((sentence, task))

        def speculate() -> None:  # check the sentence the answer so far ends with, before it is confirmed
            sentence = self.splitter.tentative()
            key = None if sentence is None else (sentence.text, sentence.span)
            for stale in [k for k in speculated if k != key]:  # guesses the text went past
                speculated.pop(stale).cancel()
            if sentence is not None and key is not None and key not in speculated:
                speculated[key] = asyncio.ensure_future(self._check(sentence))
                tasks.append(speculated[key])

        try:
            while True:
                try:
                    chunk = await self._chunks.__anext__()
                except StopAsyncIteration:
                    break
                spawn(self.splitter.feed(chunk))
                speculate()
            spawn(self.splitter.finish())
            queue.put_nowait(None)
        except Exception as exc:
            queue.put_nowait(exc)

    async def _run(self) -> AsyncGenerator[StreamedSentence, None]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        tasks: list[asyncio.Task[SentenceCheck]] = []
        pump = asyncio.ensure_future(self._pump(queue, tasks))
        try:
            while True:
                entry = await queue.get()
                if entry is None:
                    break
                if isinstance(entry, Exception):
                    raise entry
                sentence, task = entry
                item = self._decide(sentence, await task)
                yield item
                if item.action == "stopped":
                    return
            self._summarise()
        finally:
            for pending in [pump, *tasks]:
                pending.cancel()
            await asyncio.gather(pump, *tasks, return_exceptions=True)
            aclose = getattr(self._chunks, "aclose", None)
            if callable(aclose):
                await aclose()
