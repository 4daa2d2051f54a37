"""entailkit._validation: typed, explanatory errors for every bad input; copies, never the caller's objects."""

from __future__ import annotations

from typing import Any

import pytest

from entailkit._labels import check_label_list, check_labels_per_text
from entailkit._validation import check_pairs, check_positive_int, check_probability, check_template, check_texts
from entailkit.errors import EntailkitError, InvalidInputError


def test_check_texts_accepts_sequences_and_copies() -> None:
    original = ["a", "", "ünïcode 🎉"]
    out = check_texts(original)
    assert out == original and out is not original
    assert check_texts(("x", "y")) == ["x", "y"]
    assert check_texts([]) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("a str", "single str"),
        (None, "NoneType"),
        (42, "int"),
        ({"a", "b"}, "set"),
        (["ok", None], "texts[1]"),
        (["ok", 3], "texts[1] must be a str, got int"),
        ([b"bytes"], "bytes"),
        ([["nested"]], "list"),
    ],
)
def test_check_texts_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_texts(value)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, EntailkitError)


def test_check_texts_names_the_argument() -> None:
    with pytest.raises(InvalidInputError, match="premises"):
        check_texts(None, "premises")


def test_check_pairs() -> None:
    assert check_pairs(["a", "b"], ("c", "d")) == (["a", "b"], ["c", "d"])
    assert check_pairs([], []) == ([], [])
    with pytest.raises(InvalidInputError, match="same length"):
        check_pairs(["a"], ["b", "c"])
    with pytest.raises(InvalidInputError, match="hypotheses"):
        check_pairs(["a"], [None])
    with pytest.raises(InvalidInputError, match="premises"):
        check_pairs("a", ["b"])


def test_check_label_list() -> None:
    assert check_label_list(["sports", "music"]) == ["sports", "music"]
    with pytest.raises(InvalidInputError, match="empty"):
        check_label_list([])
    with pytest.raises(InvalidInputError, match="duplicate"):
        check_label_list(["a", "b", "a"])
    with pytest.raises(InvalidInputError, match="blank"):
        check_label_list(["a", "  "])
    with pytest.raises(InvalidInputError):
        check_label_list("sports")
    with pytest.raises(InvalidInputError, match=r"labels\[1\]"):
        check_label_list(["a", 1])


def test_check_labels_per_text_shared_and_per_text() -> None:
    shared = check_labels_per_text(["a", "b"], 3)
    assert shared == [["a", "b"]] * 3
    per = check_labels_per_text([["a"], ("b", "c")], 2)
    assert per == [["a"], ["b", "c"]]
    assert check_labels_per_text(["a"], 0) == []


@pytest.mark.parametrize(
    ("labels", "n", "fragment"),
    [
        ("sports", 1, "single str"),
        (None, 1, "NoneType"),
        ([], 1, "empty"),
        ([["a"], ["b"]], 3, "one list per text"),
        ([["a"], []], 2, r"labels\[1\] is empty"),
        ([["a", "a"]], 1, "duplicate"),
        (["a", ["b"]], 1, r"labels\[1\]"),
    ],
)
def test_check_labels_per_text_rejects(labels: Any, n: int, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        check_labels_per_text(labels, n)


def test_check_template() -> None:
    assert check_template("This example is {}.") == "This example is {}."
    assert check_template("{}") == "{}"
    for bad in ("no placeholder", "{} and {}", "{0}", ""):
        with pytest.raises(InvalidInputError, match="exactly one"):
            check_template(bad)
    with pytest.raises(InvalidInputError, match="must be a str"):
        check_template(None)


def test_check_probability() -> None:
    assert check_probability(None, "threshold") is None
    assert check_probability(0, "threshold") == 0.0
    assert check_probability(1, "threshold") == 1.0
    assert check_probability(0.25, "threshold") == 0.25
    for bad in (-0.1, 1.01, True, "0.5", float("nan")):
        with pytest.raises(InvalidInputError, match="threshold"):
            check_probability(bad, "threshold")


def test_check_positive_int() -> None:
    assert check_positive_int(None, "batch_size") is None
    assert check_positive_int(3, "batch_size") == 3
    with pytest.raises(InvalidInputError, match="batch_size"):
        check_positive_int(None, "batch_size", allow_none=False)
    for bad in (0, -1, 2.0, True, "4"):
        with pytest.raises(InvalidInputError):
            check_positive_int(bad, "batch_size")


def test_invalid_input_turns_a_validation_error_into_one_message() -> None:
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from entailkit._validation import field_problems, invalid_input

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        size: int = Field(default=1, ge=1)
        names: list[str] = []

    with pytest.raises(ValidationError) as info:
        Options(size=0, names=["a", 3], colour="red")  # type: ignore[call-arg]
    problems = field_problems(info.value)
    assert [(p.loc, p.field, p.kind, p.value) for p in problems] == [
        (("size",), "size", "greater_than_equal", 0),
        (("names", 1), "names.1", "string_type", 3),
        (("colour",), "colour", "extra_forbidden", "red"),
    ]
    assert problems[0].message == "Input should be greater than or equal to 1"  # no final period
    error = invalid_input(info.value, lambda p: f"{p.field} refused", prefix="bad options: ")
    assert isinstance(error, InvalidInputError)
    assert str(error) == "bad options: size refused; names.1 refused; colour refused."
    assert str(invalid_input(info.value, lambda p: "same.", sep=" ")) == "same."  # said once, period not doubled
