"""Row schemas, bisection of bad rows and Ray batch sizing: pure Python, no Ray runtime, no model."""

from __future__ import annotations

import inspect
import math
import pickle

import pytest

from entailkit.distributed.options import BatchOptions, rows_per_batch, scorer_spec
from entailkit.distributed.rows import (
    RowError,
    column_values,
    number_list_field,
    parse_rows,
    score_isolating,
    score_rows,
    text_field,
    text_list_field,
)
from entailkit.errors import InvalidInputError
from entailkit.scorers.batching import DEFAULT_TOKEN_BUDGET


def _parse_text(values: list[object]) -> list[object]:
    return parse_rows(len(values), lambda i: text_field(values[i], "query"))


def test_text_fields_report_missing_null_and_wrong_types() -> None:
    columns = {"query": ["ok", None, 5, math.nan, ["a"]]}
    values = column_values(columns, "query", 5)
    parsed = _parse_text(values)
    assert parsed[0] == "ok"
    messages = [p.message for p in parsed[1:] if isinstance(p, RowError)]
    assert messages == [
        "query: null, expected a str",
        "query: expected a str, got int (5)",
        "query: null, expected a str",
        "query: expected a str, got list (['a'])",
    ]
    missing = _parse_text(column_values(columns, "nope", 2))
    assert all(isinstance(p, RowError) and "missing field" in p.message for p in missing)
    assert text_field(column_values({}, "question", 1)[0], "question", optional=True) is None


def test_text_list_field_accepts_arrays_and_rejects_strings() -> None:
    np = pytest.importorskip("numpy")
    assert text_list_field(np.array(["a", "b"]), "contexts") == ["a", "b"]
    for bad in ("one string", None, ["a", 3], {"a": "b"}):
        with pytest.raises(Exception, match="contexts"):
            text_list_field(bad, "contexts")


def test_number_fields_one_or_a_list_of_finite_numbers() -> None:
    assert number_list_field(0.5, "cos", single=True) == [0.5]
    assert number_list_field([1, 0.25], "cos") == [1.0, 0.25]
    bad_single = (None, math.nan, "0.5", True, math.inf, column_values({}, "cos", 1)[0])
    for bad in bad_single:
        with pytest.raises(Exception, match="cos"):
            number_list_field(bad, "cos", single=True)
    for bad_list in (None, 0.5, "0.5", [0.1, "x"], [0.1, math.nan]):
        with pytest.raises(Exception, match="cos"):
            number_list_field(bad_list, "cos")


def test_bisection_pins_input_errors_on_their_rows_and_scores_the_rest_together() -> None:
    calls: list[list[str]] = []

    def score(items: list[str]) -> list[int]:
        calls.append(items)
        if any(item.startswith("bad") for item in items):
            raise InvalidInputError("bad item")
        return [len(item) for item in items]

    items = ["a", "bb", "bad1", "ccc", "dddd", "eeeee", "bad2", "ff"]
    results = score_isolating(score, items)
    assert [r if not isinstance(r, RowError) else "E" for r in results] == [1, 2, "E", 3, 4, 5, "E", 2]
    assert all(isinstance(results[i], RowError) and "InvalidInputError: bad item" in results[i].message for i in (2, 6))
    assert len(calls) < len(items) + 6  # far fewer calls than one per row after the first failure


def test_other_errors_escape_so_that_ray_retries_the_batch() -> None:
    def score(items: list[str]) -> list[int]:
        raise RuntimeError("device lost")

    with pytest.raises(RuntimeError, match="device lost"):
        score_isolating(score, ["a", "b"])


def test_score_rows_keeps_row_order_and_every_row() -> None:
    parsed: list[object] = ["a", RowError("query: null, expected a str"), "ccc"]
    out = score_rows(parsed, lambda items: [len(i) for i in items])
    assert out[0] == 1 and out[2] == 3 and isinstance(out[1], RowError)
    assert score_rows([], lambda items: []) == []


def test_rows_per_batch_follows_the_token_budget_batcher() -> None:
    assert rows_per_batch(1.0) == 4 * 32  # 4 passes of 32 pairs of 128 tokens (under 8192 tokens)
    assert rows_per_batch(4.0) == 32
    assert rows_per_batch(1.0, batch_size=256, token_budget=DEFAULT_TOKEN_BUDGET) == 4 * (DEFAULT_TOKEN_BUDGET // 128)
    assert rows_per_batch(1000.0) == 1


def test_batch_options_are_checked_and_the_device_follows_the_gpus() -> None:
    for bad in ({"num_actors": 0}, {"num_actors": (3, 2)}, {"num_cpus": 0}, {"rows_per_batch": 0}, {"max_retries": -1}):
        with pytest.raises(InvalidInputError):
            BatchOptions(**bad)  # type: ignore[arg-type]
    assert scorer_spec("m", BatchOptions(), gpus=0).kwargs["device"] == "cpu"
    assert scorer_spec("m", BatchOptions(), gpus=1).kwargs["device"] == "cuda"
    assert scorer_spec("m", BatchOptions(scorer_kwargs={"device": "cpu"}), gpus=1).kwargs["device"] == "cpu"
    with pytest.raises(InvalidInputError, match="model"):
        scorer_spec(None, BatchOptions(), gpus=0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"num_actors": [1, 2]},
            r"num_actors must be an int >= 1 or a \(min_size, max_size\) tuple .*, got \[1, 2\]\.",
        ),
        ({"num_actors": True}, "num_actors must be an int >= 1"),
        ({"num_cpus": True}, "num_cpus must be a number > 0, got True."),
        ({"num_cpus": "1"}, "num_cpus must be a number > 0, got '1'."),
        ({"num_cpus": math.inf}, "num_cpus must be a number > 0, got inf."),
        ({"num_gpus": math.nan}, "num_gpus must be None or a number >= 0, got nan."),
        ({"rows_per_batch": 8.0}, "rows_per_batch must be None or an int >= 1, got 8.0."),
        ({"max_retries": False}, "max_retries must be an int >= 0, got False."),
        ({"scorer_kwargs": [("device", "cpu")]}, "scorer_kwargs must be a mapping"),
        ({"scorer_kwargs": {1: "cpu"}}, r"scorer_kwargs must be a mapping .*\(names as str\)"),
        ({"scorer_factory": "load"}, "scorer_factory must be a zero-argument callable returning a Scorer"),
        ({"runtime_env": "pip"}, "runtime_env must be None or a mapping"),
    ],
)
def test_batch_options_refuse_wrong_types_naming_the_option(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        BatchOptions(**options)  # type: ignore[arg-type]


def test_batch_options_say_every_refusal_and_keep_the_dataclass_api() -> None:
    with pytest.raises(InvalidInputError) as info:
        BatchOptions(num_cpus=0, max_retries=-1)
    assert str(info.value) == "num_cpus must be a number > 0, got 0. max_retries must be an int >= 0, got -1."
    with pytest.raises(TypeError):
        BatchOptions(num_actor=2)  # type: ignore[call-arg]
    options = BatchOptions((1, 4), 0.5, scorer_kwargs={"device": "cpu"}, runtime_env={"env_vars": {"A": "1"}})
    assert options.num_actors == (1, 4) and options.num_cpus == 0.5 and options.scorer_kwargs == {"device": "cpu"}
    assert pickle.loads(pickle.dumps(options)) == options and BatchOptions() == BatchOptions(1)
    assert options.replace(max_retries=0).max_retries == 0 and options.max_retries == 3
    with pytest.raises(InvalidInputError, match="max_retries"):
        options.replace(max_retries=-1)
    defaults = {name: p.default for name, p in inspect.signature(BatchOptions).parameters.items()}
    assert defaults == {**BatchOptions().model_dump(), "scorer_kwargs": None}  # the signature's are the fields'
