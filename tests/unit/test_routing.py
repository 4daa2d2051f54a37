"""Router on the FakeScorer: zero-shot decisions, ties, thresholds, fallback, multi, fit, save/load, errors."""

from __future__ import annotations

import json
import logging
import typing
from pathlib import Path

import numpy as np
import pytest
from _route_fakes import WordEmbedder

from entailkit.errors import InvalidInputError
from entailkit.tasks._route_knn import knn_votes
from entailkit.tasks.calibration import Calibrator, calibrate
from entailkit.tasks.route_fit import decide, fit_thresholds
from entailkit.tasks.route_io import ROUTER_OPTIONS, _RoutesFile, read_routes_file
from entailkit.tasks.route_metrics import correct
from entailkit.tasks.routing import Router
from entailkit.types import Route, RouteDecision
from fakes import FakeScorer

T = "{}"  # DEFAULT_ROUTE_TEMPLATE: a description is read as it is
BILLING = "billing, invoices and payments"
TECH = "technical problems and errors"
ACCOUNT = "account settings and passwords"


def routes() -> list[Route]:
    return [Route("billing", BILLING), Route("tech", TECH), Route("account", ACCOUNT)]


def fake(model: str = "fake-nli3") -> FakeScorer:
    """Entailment per (needle in query, route description); the fake normalises over routes (single)."""
    table: dict[tuple[str, str], float] = {}
    for needle, billing, tech, account in [
        ("invoice", 0.8, 0.1, 0.1),
        ("crash", 0.1, 0.8, 0.1),
        ("password", 0.1, 0.2, 0.7),
        ("tie", 0.4, 0.4, 0.2),
        ("refund glitch", 0.45, 0.45, 0.1),
        ("weather", 0.34, 0.33, 0.33),
        ("double charge and app fails", 0.7, 0.6, 0.05),
    ]:
        table[(needle, T.format(BILLING))] = billing
        table[(needle, T.format(TECH))] = tech
        table[(needle, T.format(ACCOUNT))] = account
    # (entailment, contradiction) = (e, 1 - e): multi-label scores are e, single-label e / sum(e)
    return FakeScorer({key: (e, 1.0 - e) for key, e in table.items()}, head="nli3", model=model, default=(0.3, 0.7))


# -- routing ----------------------------------------------------------------------------------------------


def test_routes_to_the_best_description() -> None:
    router = Router(fake(), routes())
    decision = router.route("my invoice is wrong")
    assert isinstance(decision, RouteDecision)
    assert decision.route == "billing" and decision.routes == ("billing",)
    assert list(decision.scores) == ["billing", "tech", "account"]
    assert decision.scores["billing"] == pytest.approx(0.8)
    assert decision.zero_shot == decision.scores and decision.knn is None
    assert decision.decided_by == "zero-shot" and not decision.abstained
    assert decision.query == "my invoice is wrong"


def test_scorer_sees_descriptions_through_the_template() -> None:
    scorer = fake()
    Router(scorer, routes(), hypothesis_template=T).route_many(["app crash", "password reset"])
    call = scorer.calls[-1]
    assert call.method == "score_labels"
    assert call.premises == ["app crash", "password reset"]
    assert call.hypotheses[:3] == [T.format(BILLING), T.format(TECH), T.format(ACCOUNT)]


def test_ties_go_to_the_first_route() -> None:
    decision = Router(fake(), routes()).route("a tie here")
    assert decision.scores["billing"] == decision.scores["tech"]
    assert decision.route == "billing"


def test_batch_keeps_order_and_empty_gives_empty() -> None:
    router = Router(fake(), routes())
    assert router.route_many([]) == []
    out = router.route_many(["app crash", "invoice", "password"])
    assert [d.route for d in out] == ["tech", "billing", "account"]


def test_route_threshold_abstains_to_the_fallback() -> None:
    rs = [Route("billing", BILLING, threshold=0.9), Route("tech", TECH, threshold=0.5), Route("account", ACCOUNT)]
    router = Router(fake(), rs, fallback="human", threshold=0.5)
    assert router.thresholds == {"billing": 0.9, "tech": 0.5, "account": 0.5}
    decision = router.route("invoice")
    assert decision.route == "human" and decision.routes == () and decision.abstained
    assert decision.decided_by == "fallback"
    assert Router(fake(), rs, threshold=0.5).route("invoice").route is None


def test_best_route_below_its_threshold_abstains_even_if_another_passes() -> None:
    rs = [Route("billing", BILLING, threshold=0.9), Route("tech", TECH, threshold=0.2), Route("account", ACCOUNT)]
    decision = Router(fake(), rs, threshold=0.5).route("refund glitch")
    assert decision.scores["tech"] >= 0.2 and decision.route is None and decision.abstained


def test_multi_returns_every_route_above_its_threshold_best_first() -> None:
    router = Router(fake(), routes(), multi=True)
    assert router.thresholds["billing"] == 0.5  # multi default
    decision = router.route("double charge and app fails")
    assert decision.routes == ("billing", "tech") and decision.route == "billing"
    assert decision.scores == pytest.approx({"billing": 0.7, "tech": 0.6, "account": 0.05})


def test_multi_with_nothing_above_threshold_falls_back() -> None:
    decision = Router(fake(), routes(), multi=True, fallback="other").route("weather today")
    assert decision.routes == () and decision.route == "other" and decision.abstained


def test_calibrator_is_applied_before_thresholds() -> None:
    class Halve:
        def transform(self, scores: list[float]) -> list[float]:
            return [s / 2 for s in scores]

    router = Router(fake(), routes(), calibrator=Halve(), threshold=0.5, fallback="x")
    decision = router.route("invoice")
    assert decision.scores["billing"] == pytest.approx(0.4) and decision.route == "x"
    assert decision.zero_shot["billing"] == pytest.approx(0.8)


def test_inputs_are_never_mutated() -> None:
    rs = routes()
    dicts = [{"name": "billing", "description": BILLING, "examples": ["invoice"]}]
    queries = ["invoice", "crash"]
    router = Router(fake(), rs)
    router.route_many(queries)
    router.fit(queries, ["billing", "tech"])
    Router(fake(), dicts)
    assert rs == routes() and queries == ["invoice", "crash"]
    assert dicts == [{"name": "billing", "description": BILLING, "examples": ["invoice"]}]


def test_routes_accept_dicts() -> None:
    router = Router(fake(), [{"name": "billing", "description": BILLING, "threshold": 0.1}])
    assert router.routes == (Route("billing", BILLING, threshold=0.1),)


# -- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"routes": []}, "routes is empty"),
        ({"routes": "billing"}, "routes must be a list of Route"),
        ({"routes": [3]}, r"routes\[0\] must be a Route or a dict"),
        ({"routes": [{"name": "a"}]}, r"routes\[0\] has unknown or missing fields"),
        ({"routes": [{"name": "a", "description": "d", "colour": 1}]}, "unknown or missing fields"),
        ({"routes": [Route("a", "x"), Route("a", "y")]}, "route names must be distinct; repeated: \\['a'\\]"),
        ({"routes": [Route("a", "x"), Route("b", "x")]}, "route descriptions must be distinct"),
        ({"fallback": "billing"}, "fallback 'billing' is also a route name"),
        ({"fallback": " "}, "fallback must be a non-empty str"),
        ({"multi": "yes"}, "multi must be a bool"),
        ({"hypothesis_template": "about"}, "exactly one '{}'"),
        ({"blend_weight": 1.5}, "blend weight must be a number in \\[0, 1\\]"),
        ({"k": 0}, "k must be a positive int"),
        ({"knn_temperature": 0}, "knn_temperature must be a finite number > 0"),
        ({"min_similarity": float("nan")}, r"min_similarity must be a finite number"),
        ({"threshold": -0.1}, "threshold must be a number in \\[0, 1\\]"),
        ({"calibrator": 3}, "calibrator must have a transform"),
        ({"embedding_scorer": object()}, "embedding_scorer must be an EmbeddingScorer"),
    ],
)
def test_constructor_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"routes": routes()} | kwargs
    with pytest.raises(InvalidInputError, match=message):
        Router(fake(), **args)  # type: ignore[arg-type]


def test_scorer_must_be_a_scorer() -> None:
    with pytest.raises(InvalidInputError, match="scorer must be an entailkit Scorer"):
        Router(object(), routes())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "d"), "Route name must be a non-empty str"),
        (("a", " "), "Route description must be a non-empty str"),
        (("a", "d", "one example"), "examples must be a list of strings, got a single str"),
        (("a", "d", [1]), r"examples\[0\] must be a str"),
        (("a", "d", [], 2.0), "threshold must be a number in \\[0, 1\\]"),
    ],
)
def test_route_errors(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Route(*args)  # type: ignore[arg-type]


def test_route_query_errors() -> None:
    router = Router(fake(), routes())
    with pytest.raises(InvalidInputError, match="query must be a str, got list"):
        router.route(["invoice"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="queries must be a list of strings, got a single str"):
        router.route_many("invoice")
    with pytest.raises(InvalidInputError, match=r"queries\[1\] must be a str"):
        router.route_many(["invoice", None])  # type: ignore[list-item]


# -- fit and evaluate -------------------------------------------------------------------------------------


def test_fit_learns_thresholds_that_abstain_on_out_of_scope_queries() -> None:
    router = Router(fake(), routes(), fallback="other")
    queries = ["invoice 1", "invoice 2", "crash 1", "crash 2", "password", "weather 1", "weather 2"]
    labels = ["billing", "billing", "tech", "tech", "account", None, "other"]
    report = router.fit(queries, labels)
    assert report.split == "fit" and report.n == 7
    assert report.accuracy == 1.0
    assert report.abstention_rate == pytest.approx(2 / 7)
    assert report.signals == ("zero-shot",) and report.blend_weight == 0.0 and report.blend_search == ()
    assert 0.34 < router.thresholds["billing"] <= 0.8
    assert router.route("weather").route == "other"
    assert router.route("invoice").route == "billing"
    m = report.per_route["billing"]
    assert (m.precision, m.recall, m.support, m.predicted) == (1.0, 1.0, 2, 2)
    assert report.thresholds == router.thresholds


def test_fit_without_out_of_scope_queries_keeps_zero_thresholds() -> None:
    router = Router(fake(), routes())
    report = router.fit(["invoice", "crash", "password"], ["billing", "tech", "account"])
    assert report.accuracy == 1.0 and set(router.thresholds.values()) == {0.0}


def test_fit_with_target_precision() -> None:
    router = Router(fake(), routes())
    queries = ["invoice", "crash", "password", "refund glitch"]
    router.fit(queries, ["billing", "tech", "account", "account"], target_precision=1.0)
    # billing tops "refund glitch" (0.45, wrong), so billing needs more than 0.45 to be precise
    assert 0.45 < router.thresholds["billing"] <= 0.8
    assert router.route("refund glitch").route is None


def test_fit_with_calibration_attaches_a_calibrator() -> None:
    router = Router(fake(), routes())
    router.fit(["invoice", "crash", "password", "weather"], ["billing", "tech", "account", None], calibration="platt")
    assert isinstance(router.calibrator, Calibrator) and router.calibrator.method == "platt"


def test_fit_multi_uses_f1_per_route() -> None:
    router = Router(fake(), routes(), multi=True)
    queries = ["double charge and app fails", "invoice", "crash", "weather"]
    report = router.fit(queries, [["billing", "tech"], "billing", "tech", None])
    assert report.accuracy == 1.0
    assert router.route("double charge and app fails").routes == ("billing", "tech")


def test_evaluate_reports_without_tuning() -> None:
    router = Router(fake(), routes(), threshold=0.75, fallback="other")
    before = router.thresholds
    report = router.evaluate(["invoice", "crash", "password", "weather"], ["billing", "tech", "account", "other"])
    assert router.thresholds == before and report.split == "evaluate"
    # invoice 0.8 and crash 0.8 pass, password 0.7 abstains (wrong), weather abstains (right)
    assert report.accuracy == pytest.approx(0.75) and report.abstention_rate == pytest.approx(0.5)
    assert report.per_route["account"].recall == 0.0 and report.per_route["account"].precision == 0.0


@pytest.mark.parametrize(
    ("queries", "labels", "message"),
    [
        ([], [], "fit needs at least one labelled query"),
        (["invoice"], [], "same length, got 1 and 0"),
        (["invoice"], ["sales"], r"route_names\[0\] is 'sales', which is not a route"),
        (["invoice"], "billing", "route_names must be a list"),
        (["invoice"], [3], r"route_names\[0\] must be a route name"),
        ("invoice", ["billing"], "queries must be a list of strings"),
    ],
)
def test_fit_errors(queries: object, labels: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Router(fake(), routes()).fit(queries, labels)  # type: ignore[arg-type]


def test_fit_rejects_an_empty_blend_grid_only_with_knn_and_evaluate_needs_queries() -> None:
    router = Router(fake(), routes())
    router.fit(["invoice"], ["billing"], blend_weights=[])  # no kNN signal: the grid is unused
    with pytest.raises(InvalidInputError, match="evaluate needs at least one labelled query"):
        router.evaluate([], [])


def test_calibrate_a_router_on_query_route_pairs() -> None:
    router = Router(fake(), routes())
    queries = ["invoice", "crash", "password", "weather", "refund glitch"]
    labels = ["billing", "tech", "account", None, "billing"]
    scores, y = router.calibration_data(queries, labels)
    assert len(scores) == 15 and y[:3] == [1, 0, 0] and sum(y) == 4
    cal = calibrate(router, queries, labels, "isotonic")
    assert cal.fit_report.n == 15 and cal.model == "fake-nli3"
    router.calibrator = cal
    assert router.route("invoice").scores["billing"] == pytest.approx(cal.transform([0.8])[0])


# -- persistence and routes files -------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    router = Router(fake(), routes(), fallback="other", hypothesis_template=T, k=5)
    router.fit(
        ["invoice", "crash", "password", "weather"], ["billing", "tech", "account", None], calibration="isotonic"
    )
    path = tmp_path / "router.json"
    router.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "entailkit.router" and data["model"] == "fake-nli3"
    assert data["calibrator"]["method"] == "isotonic" and data["routes"][0]["threshold"] is not None
    loaded = Router.load(path, fake())
    assert loaded.routes == router.routes and loaded.thresholds == router.thresholds
    assert loaded.fallback == "other" and loaded.k == 5 and loaded.calibrator == router.calibrator
    queries = ["invoice", "weather", "password"]
    assert loaded.route_many(queries) == router.route_many(queries)


def test_load_warns_on_another_model(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "router.json"
    Router(fake(), routes()).save(path)
    with caplog.at_level(logging.WARNING):
        Router.load(path, fake(model="other-model"))
    assert "refit its thresholds" in caplog.text


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read router file"):
        Router.load(tmp_path / "nope.json", fake())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "entailkit.router", "model": "m"}))
    with pytest.raises(InvalidInputError, match="is not an entailkit router file"):
        Router.load(bad, fake())


def test_routes_yaml(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(
        "fallback: other\n"
        "threshold: 0.3\n"
        "routes:\n"
        f"  - name: billing\n    description: {BILLING}\n    examples: [where is my invoice]\n    threshold: 0.6\n"
        f"  - name: tech\n    description: {TECH}\n"
    )
    router = Router.from_routes_file(path, fake())
    assert router.names == ["billing", "tech"] and router.fallback == "other"
    assert router.thresholds == {"billing": 0.6, "tech": 0.3}
    assert router.routes[0].examples == ("where is my invoice",)
    bare = tmp_path / "bare.yaml"
    bare.write_text(f"- name: billing\n  description: {BILLING}\n")
    assert Router.from_routes_file(bare, fake()).names == ["billing"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("routes: [\n", "is not valid YAML"),
        ("just text", "must be a list of routes or a mapping with a 'routes' list"),
        ("routes: []", "'routes' must be a non-empty list"),
        ("routes: [{name: a, description: b}]\ncolour: red", r"unknown key\(s\) \['colour'\]"),
        ("routes: [{name: a}]", r"routes\[0\] needs 'name' and 'description'"),
        ("routes: [{name: a, description: b, prio: 1}]", r"unknown key\(s\) \['prio'\]"),
        ("routes: [a]", r"routes\[0\] must be a mapping"),
        ("routes: 5", "'routes' must be a non-empty list, got int"),
        ("routes: [{name: a, description: b}]\nfalback: other", r"unknown key\(s\) \['falback'\]; allowed: routes"),
        ("routes: [{name: a, description: b}]\n1: x", r"unknown key\(s\) \['1'\]"),
        ("routes: [{name: a, description: b}]\nk: '10'", "k: input should be a valid integer, got '10'"),
        ("routes: [{name: a, description: b}]\nmulti: sometimes", "multi: input should be a valid boolean"),
        (
            "routes: [{name: a, description: b, examples: hello}]",
            r"routes\[0\] \('a'\)\.examples: input should be a valid list",
        ),
        (
            "routes: [{name: a, description: b, examples: [hi, 3]}]",
            r"routes\[0\] \('a'\)\.examples\.1: input should be a valid string",
        ),
        (
            "routes: [{name: a, description: b, threshold: high}]",
            r"\('a'\)\.threshold: input should be a valid number, got 'high'",
        ),
        ("routes: [{name: 3, description: b}]", r"routes\[0\]\.name: input should be a valid string, got 3"),
        (
            "routes: [{name: a, description: b, threshold: 1.5}]",
            r"routes\[0\] \('a'\): Route 'a' threshold must be a number in \[0, 1\]",
        ),
        ("routes: [{name: ' ', description: b}]", r"routes\[0\] \(' '\): Route name must be a non-empty str"),
    ],
)
def test_routes_yaml_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        Router.from_routes_file(path, fake())


def test_routes_yaml_reports_every_mistake_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - {name: a, description: b}\n  - {name: c, descripton: d}\nk: ten\ncolour: red\n")
    with pytest.raises(InvalidInputError) as info:
        Router.from_routes_file(path, fake())
    message = str(info.value)
    assert message.startswith(f"routes file {path}: ") and message.endswith(".")
    assert "routes[1] needs 'name' and 'description'" in message and "['descripton']" in message
    assert "k: input should be a valid integer, got 'ten'" in message and "unknown key(s) ['colour']" in message


def test_routes_yaml_passes_on_only_the_options_given(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text("fallback: null\nblend_weight: 1\nroutes:\n  - {name: a, description: b, examples: }\n")
    kwargs = read_routes_file(path)
    assert kwargs == {"fallback": None, "blend_weight": 1.0, "routes": [Route("a", "b")]}


def test_routes_file_options_are_the_routers() -> None:
    """The routes file's option keys and types are the Router's keyword options (the model cannot drift)."""
    hints = typing.get_type_hints(Router.__init__)
    fields = {name: f.annotation for name, f in _RoutesFile.model_fields.items() if name != "routes"}
    assert tuple(fields) == ROUTER_OPTIONS
    assert fields == {name: hints[name] for name in ROUTER_OPTIONS}


def test_routes_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read routes file"):
        Router.from_routes_file(tmp_path / "none.yaml", fake())


# -- the numpy core ---------------------------------------------------------------------------------------


def test_decide_and_correct() -> None:
    scores = np.array([[0.6, 0.3], [0.2, 0.2], [0.1, 0.05]])
    single = decide(scores, np.array([0.5, 0.1]), multi=False)
    assert single.tolist() == [[True, False], [False, False], [False, False]]  # tie: first route, below 0.5
    multi = decide(scores, np.array([0.25, 0.1]), multi=True)
    assert multi.tolist() == [[True, True], [False, True], [False, False]]
    truth = np.array([[True, False], [True, False], [False, False]])
    assert correct(single, truth, multi=False).tolist() == [True, False, True]
    assert correct(multi, truth, multi=True).tolist() == [False, False, True]


def test_fit_thresholds_single_prefers_the_lowest_threshold_on_ties() -> None:
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])
    truth = np.array([[True, False], [True, False], [False, True]])
    assert fit_thresholds(scores, truth, multi=False).tolist() == [0.0, 0.0]


# -- the kNN signal ---------------------------------------------------------------------------------------

pytest_faiss = pytest.importorskip  # faiss is the ExampleStore backend (extra "faiss")


def knn_routes() -> list[Route]:
    return [
        Route("billing", BILLING, ["refund my money please", "card was charged twice"]),
        Route("tech", TECH, ["the screen goes black", "upload button does nothing"]),
        Route("account", ACCOUNT),
    ]


def test_knn_votes_formula() -> None:
    votes, has = knn_votes([[("a", 0.9), ("b", 0.8), ("a", 0.5)], [], [("zzz", 0.9)]], ["a", "b"], temperature=0.1)
    w = np.exp(np.array([0.0, -1.0, -4.0]))
    assert votes[0] == pytest.approx([(w[0] + w[2]) / w.sum(), w[1] / w.sum()])
    assert has.tolist() == [True, False, False] and votes[1].tolist() == [0.0, 0.0]


def test_knn_blends_with_zero_shot() -> None:
    pytest_faiss("faiss")
    embedder = WordEmbedder()
    router = Router(fake(), knn_routes(), embedding_scorer=embedder, blend_weight=0.5, k=3)
    assert router.uses_knn
    decision = router.route("my card was charged twice")  # zero-shot: default 0.3 each -> 1/3
    assert decision.knn is not None and sum(decision.knn.values()) == pytest.approx(1.0)
    assert decision.knn["account"] == 0.0 and decision.knn["billing"] > 0.5
    expected = {r: 0.5 * decision.knn[r] + 0.5 * decision.zero_shot[r] for r in decision.scores}
    assert decision.scores == pytest.approx(expected)
    assert decision.route == "billing" and decision.decided_by in ("knn", "both")
    assert decision.blend_weight == 0.5
    # an invoice query: zero-shot says billing strongly; both agree when the vote does too
    both = router.route("refund my invoice money")
    assert both.route == "billing" and both.decided_by == "both"
    # the utterances were embedded once, queries per call
    assert embedder.calls[0] == [t for r in knn_routes() for t in r.examples]


def test_knn_only_and_min_similarity() -> None:
    pytest_faiss("faiss")
    router = Router(fake(), knn_routes(), embedding_scorer=WordEmbedder(), blend_weight=1.0)
    decision = router.route("the screen goes black again")
    assert decision.route == "tech" and decision.decided_by == "knn"
    strict = Router(fake(), knn_routes(), embedding_scorer=WordEmbedder(), min_similarity=0.99)
    lone = strict.route("the screen goes black again")
    assert lone.knn is None and lone.decided_by == "zero-shot" and lone.blend_weight == 0.0


def test_knn_signal_disagreeing_with_zero_shot() -> None:
    pytest_faiss("faiss")
    router = Router(fake(), knn_routes(), embedding_scorer=WordEmbedder(), blend_weight=0.3)
    decision = router.route("invoice upload button does nothing")  # zero-shot billing 0.8, kNN tech
    assert decision.route == "billing" and decision.decided_by == "zero-shot"
    router.blend_weight = 0.9
    assert router.route("invoice upload button does nothing").decided_by == "knn"


def test_fit_chooses_the_blend_weight_with_leave_one_out() -> None:
    pytest_faiss("faiss")
    router = Router(fake(), knn_routes(), embedding_scorer=WordEmbedder(), k=1)
    queries = ["card was charged twice", "the screen goes black", "the screen goes dark", "refund my money"]
    labels = ["billing", "tech", "tech", "billing"]
    report = router.fit(queries, labels, blend_weights=[0.0, 0.5, 1.0])
    assert report.signals == ("zero-shot", "knn")
    assert [w for w, _ in report.blend_search] == [0.0, 0.5, 1.0]
    # zero-shot alone is a coin toss here (default scores); kNN helps, even without self-matches
    accuracy = dict(report.blend_search)
    assert accuracy[0.0] == 0.5 and accuracy[1.0] >= 0.75
    assert router.blend_weight in (0.5, 1.0) and report.blend_weight == router.blend_weight


def test_save_and_load_with_knn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pytest_faiss("faiss")
    router = Router(fake(), knn_routes(), embedding_scorer=WordEmbedder(), blend_weight=0.7)
    path = tmp_path / "router.json"
    router.save(path)
    assert json.loads(path.read_text())["embedding_model"] == "fake-words"
    loaded = Router.load(path, fake(), embedding_scorer=WordEmbedder())
    assert loaded.route("card was charged twice") == router.route("card was charged twice")
    with caplog.at_level(logging.WARNING):
        alone = Router.load(path, fake())
    assert "routes zero-shot only" in caplog.text and not alone.uses_knn


def test_report_measures_decisions_already_made() -> None:
    router = Router(fake(), routes(), threshold=0.75, fallback="other")
    queries = ["invoice", "crash", "password", "weather"]
    labels = ["billing", "tech", "account", "other"]
    decisions = router.route_many(queries)
    assert router.report(decisions, labels) == router.evaluate(queries, labels)
    with pytest.raises(InvalidInputError, match="decisions must be a non-empty list of RouteDecision"):
        router.report([], [])
    with pytest.raises(InvalidInputError, match="same length"):
        router.report(decisions, labels[:2])


def test_route_batch_is_a_deprecated_alias_of_route_many() -> None:
    router = Router(fake(), routes())
    with pytest.warns(DeprecationWarning, match="use route_many"):
        old = router.route_batch(["my invoice is wrong", "the app crash"])
    assert old == router.route_many(["my invoice is wrong", "the app crash"])
    assert [d.route for d in old] == ["billing", "tech"]
