"""Fine-tuning mechanics on tiny random models: the loss falls, resume is exact, the output loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from entailkit.train import _common as common
from entailkit.train.card import record_evaluation
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.data import NLIExample, RelevanceExample
from entailkit.train.recipe import TrainConfig

PAIRS = [
    NLIExample("a man plays a guitar", "a person plays music", "entailment"),
    NLIExample("a man plays a guitar", "nobody plays music", "contradiction"),
    NLIExample("a woman slices an onion", "a woman is cooking dinner", "neutral"),
    NLIExample("a dog runs in the park", "an animal is outside", "entailment"),
    NLIExample("a dog runs in the park", "the dog is asleep", "contradiction"),
    NLIExample("two kids play football", "the kids are brothers", "neutral"),
    NLIExample("the sun is shining", "it is night", "not_entailment"),
    NLIExample("a cat sits on a mat", "a cat is on a mat", "entailment"),
]


def _config(**kwargs: Any) -> TrainConfig:
    base = dict(learning_rate=2e-3, batch_size=4, warmup_ratio=0.0, max_length=32, seed=7, num_threads=1, patience=0)
    return TrainConfig(**{**base, **kwargs})


def _crash_after_second_save(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the second checkpoint save (step 4 with save_every=2) kill the run; returns the real save."""
    real_save = common.save_checkpoint
    calls = {"n": 0}

    def crash_after_second_save(*args: Any, **kwargs: Any) -> None:
        real_save(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the run dies right after checkpoint-last at step 4

    monkeypatch.setattr(common, "save_checkpoint", crash_after_second_save)
    return real_save


def test_nli_training_lowers_loss_and_loads(tiny_embed_path: Path, tmp_path: Path) -> None:
    from entailkit import load_scorer

    out = tmp_path / "nli"
    result = train_cross_encoder(
        tiny_embed_path, PAIRS * 4, dev=PAIRS, out_dir=out, config=_config(max_steps=24, eval_every=4)
    )
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert result.best_dev is not None and result.best_dev >= 0.5
    assert result.id2label == {0: "entailment", 1: "neutral", 2: "contradiction"}
    assert not (out / common.CHECKPOINT_DIR).exists()  # removed after a finished run
    scorer = load_scorer(out)
    assert scorer.info.head == "nli3"
    assert scorer.info.label_map == {"entailment": 0, "neutral": 1, "contradiction": 2}
    scores = scorer.score_pairs([p.premise for p in PAIRS], [p.hypothesis for p in PAIRS])
    assert len(scores) == len(PAIRS)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "## Recipe" in card and "## Metrics" in card
    record_evaluation(out, "toy", {"accuracy": 0.5})
    assert "| toy | accuracy | 0.5000 |" in (out / "README.md").read_text(encoding="utf-8")


def test_two_way_head_and_relevance_head(tiny_embed_path: Path, tmp_path: Path) -> None:
    from entailkit import load_scorer

    two = train_cross_encoder(
        tiny_embed_path, PAIRS, dev=[], head="nli2", out_dir=tmp_path / "two", config=_config(max_steps=2)
    )
    assert two.id2label == {0: "entailment", 1: "not_entailment"}
    assert load_scorer(tmp_path / "two").info.head == "nli2"
    rel = [RelevanceExample(p.hypothesis, p.premise, float(p.label == "entailment")) for p in PAIRS]
    result = train_cross_encoder(
        tiny_embed_path, rel, dev=rel, task="relevance", out_dir=tmp_path / "rel", config=_config(max_steps=2)
    )
    assert result.dev_metric == "ndcg@10" and result.id2label == {0: "relevance"}
    assert load_scorer(tmp_path / "rel").info.head == "relevance"


def test_resume_after_interruption_matches_uninterrupted_run(
    tiny_embed_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safetensors.torch import load_file

    cfg = _config(max_steps=6, save_every=2)
    full = train_cross_encoder(
        tiny_embed_path, PAIRS, dev=[], out_dir=tmp_path / "full", config=cfg, keep_checkpoint=True
    )
    real_save = _crash_after_second_save(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_cross_encoder(tiny_embed_path, PAIRS, dev=[], out_dir=tmp_path / "cut", config=cfg, keep_checkpoint=True)
    monkeypatch.setattr(common, "save_checkpoint", real_save)
    state = json.loads((tmp_path / "cut" / common.CHECKPOINT_DIR / common.STATE_FILE).read_text())
    assert state["step"] == 4
    resumed = train_cross_encoder(
        tiny_embed_path, PAIRS, dev=[], out_dir=tmp_path / "cut", config=cfg, keep_checkpoint=True
    )
    assert resumed.resumed_from_step == 4 and resumed.steps == full.steps == 6
    a = load_file(tmp_path / "full" / "model.safetensors")
    b = load_file(tmp_path / "cut" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max().item() < 1e-5, key


def test_checkpoint_of_another_run_is_ignored(tiny_embed_path: Path, tmp_path: Path) -> None:
    train_cross_encoder(
        tiny_embed_path, PAIRS, dev=[], out_dir=tmp_path / "o", config=_config(max_steps=2), keep_checkpoint=True
    )
    other = train_cross_encoder(tiny_embed_path, PAIRS[:6], dev=[], out_dir=tmp_path / "o", config=_config(max_steps=2))
    assert other.resumed_from_step == 0


def test_bad_inputs(tiny_embed_path: Path, tmp_path: Path) -> None:
    from entailkit.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="no training examples"):
        train_cross_encoder(tiny_embed_path, [], out_dir=tmp_path / "x")
    with pytest.raises(InvalidInputError, match="RelevanceExample"):
        train_cross_encoder(tiny_embed_path, PAIRS, task="relevance", out_dir=tmp_path / "x")
    with pytest.raises(InvalidInputError, match="task must be"):
        train_cross_encoder(tiny_embed_path, PAIRS, task="rank", out_dir=tmp_path / "x")  # type: ignore[arg-type]


def test_gliclass_training_lowers_loss_and_loads(tmp_path: Path) -> None:
    pytest.importorskip("gliclass")
    from entailkit import load_scorer
    from entailkit.errors import InvalidInputError
    from entailkit.train.data import ClassificationExample
    from entailkit.train.gliclass import train_gliclass
    from fixtures.tiny_gliclass import tiny_gliclass_path

    labels = ["sports", "business", "science"]
    rows = [
        ClassificationExample("the match ended with a late goal", ("sports",)),
        ClassificationExample("stocks fell sharply on the market", ("business",)),
        ClassificationExample("the probe measured the magnetic field", ("science",)),
    ] * 4
    cfg = _config(max_steps=2, batch_size=6)
    first = train_gliclass(tiny_gliclass_path(), rows, labels, out_dir=tmp_path / "a", config=cfg)
    longer = train_gliclass(
        tiny_gliclass_path(), rows, labels, out_dir=tmp_path / "b", config=_config(max_steps=30, batch_size=6)
    )
    assert longer.history[-1]["train_loss"] < first.history[-1]["train_loss"]
    scorer = load_scorer(tmp_path / "b")
    assert scorer.info.kind == "gliclass"
    result = scorer.score_labels([r.text for r in rows[:3]], labels)
    assert [item.labels for item in result] == [tuple(labels)] * 3
    with pytest.raises(InvalidInputError, match="not in label_names"):
        train_gliclass(tiny_gliclass_path(), rows, ["sports"], out_dir=tmp_path / "c")


GLICLASS_LABELS = ["sports", "business", "science"]


def _gliclass_rows() -> list[Any]:
    from entailkit.train.data import ClassificationExample

    return [
        ClassificationExample("the match ended with a late goal", ("sports",)),
        ClassificationExample("stocks fell sharply on the market", ("business",)),
        ClassificationExample("the probe measured the magnetic field", ("science",)),
        ClassificationExample("the coach praised the players", ("sports",)),
        ClassificationExample("shares rose after strong earnings", ("business",)),
        ClassificationExample("scientists found ice on the moon", ("science",)),
    ] * 2


def test_gliclass_dev_early_stopping_keeps_the_best_weights(tmp_path: Path) -> None:
    pytest.importorskip("gliclass")
    from safetensors.torch import load_file

    from entailkit.train.gliclass import train_gliclass
    from fixtures.tiny_gliclass import tiny_gliclass_path

    rows = _gliclass_rows()
    cfg = _config(max_steps=12, batch_size=4, eval_every=1, patience=2, learning_rate=5e-3)
    result = train_gliclass(
        tiny_gliclass_path(),
        rows,
        GLICLASS_LABELS,
        dev=rows[:6],
        out_dir=tmp_path / "g",
        config=cfg,
        keep_checkpoint=True,
    )
    scores = [h["accuracy"] for h in result.history]
    assert result.dev_metric == "accuracy" and result.n_dev == 6
    assert result.best_dev == max(scores) and 0.0 <= result.best_dev <= 1.0
    assert result.best_step == result.history[scores.index(max(scores))]["step"]
    if result.stopped_early:  # patience 2: the last two evaluations did not beat the best one
        assert len(scores) < 12 and all(s <= result.best_dev for s in scores[-2:])
    else:
        assert len(scores) == 12
    best = load_file(tmp_path / "g" / "model.safetensors")
    last = load_file(tmp_path / "g" / common.CHECKPOINT_DIR / "model.safetensors")
    same = all((best[k] - last[k]).abs().max().item() == 0 for k in best)
    assert same == (result.best_step == result.steps)  # out_dir holds the best weights, not the last ones
    multi = train_gliclass(
        tiny_gliclass_path(),
        rows,
        GLICLASS_LABELS,
        multi_label=True,
        out_dir=tmp_path / "m",
        config=_config(max_steps=2, batch_size=6),
    )
    assert multi.dev_metric == "micro_f1" and multi.n_dev == 1 and multi.best_dev is not None


def test_gliclass_trains_on_nli_with_per_text_candidates(tmp_path: Path) -> None:
    """NLI pairs grouped by premise train GLiClass with a different label list per text (no label_names)."""
    pytest.importorskip("gliclass")
    from entailkit import load_scorer
    from entailkit.errors import InvalidInputError
    from entailkit.train.data import ClassificationExample, NLIExample, nli_to_classification
    from entailkit.train.gliclass import train_gliclass
    from fixtures.tiny_gliclass import tiny_gliclass_path

    pairs = [NLIExample(p, h, lab) for p, h, lab in NLI_PAIRS]
    rows = nli_to_classification(pairs) * 3
    assert len({len(r.candidates or ()) for r in rows}) > 1  # label lists of different lengths: padded slots
    # one candidate (true) beside one with five (all true): any valid top label is a hit, so dev accuracy
    # is 1.0 exactly when the padded slots of the short list are never taken as its top label
    dev = [
        ClassificationExample("only one", ("yes",), ("yes",)),
        ClassificationExample("five true", ("a", "b", "c", "d", "e"), ("a", "b", "c", "d", "e")),
    ]
    result = train_gliclass(
        tiny_gliclass_path(),
        rows,
        dev=dev,
        out_dir=tmp_path / "n",
        config=_config(max_steps=6, batch_size=4, eval_every=3),
    )
    assert [h["accuracy"] for h in result.history] == [1.0, 1.0]
    assert result.data_counts == {"texts with their own candidate labels": len(rows)}
    scores = load_scorer(tmp_path / "n").score_labels(["A dog runs."], ["An animal moves.", "A cat sleeps."])
    assert len(scores[0].labels) == 2
    with pytest.raises(InvalidInputError, match="no candidate labels"):
        train_gliclass(tiny_gliclass_path(), [ClassificationExample("x", ())], out_dir=tmp_path / "e")
    with pytest.raises(InvalidInputError, match="not in its candidates"):
        train_gliclass(tiny_gliclass_path(), [ClassificationExample("x", ("a",), ("b",))], out_dir=tmp_path / "e")


NLI_PAIRS = [
    ("A dog runs in the park.", "An animal is outside.", "entailment"),
    ("A dog runs in the park.", "A cat sleeps indoors.", "contradiction"),
    ("A dog runs in the park.", "The dog is happy.", "neutral"),
    ("A woman slices an onion.", "Someone is cooking.", "entailment"),
    ("A woman slices an onion.", "A man plays guitar.", "contradiction"),
    ("Two kids play football.", "Children are playing a sport.", "entailment"),
]


def test_gliclass_resume_after_interruption_matches_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gliclass")
    from safetensors.torch import load_file

    from entailkit.train.gliclass import train_gliclass
    from fixtures.tiny_gliclass import tiny_gliclass_path

    rows, cfg = _gliclass_rows(), _config(max_steps=6, batch_size=4, save_every=2)
    full = train_gliclass(tiny_gliclass_path(), rows, GLICLASS_LABELS, dev=[], out_dir=tmp_path / "full", config=cfg)
    real_save = _crash_after_second_save(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_gliclass(tiny_gliclass_path(), rows, GLICLASS_LABELS, dev=[], out_dir=tmp_path / "cut", config=cfg)
    monkeypatch.setattr(common, "save_checkpoint", real_save)
    resumed = train_gliclass(tiny_gliclass_path(), rows, GLICLASS_LABELS, dev=[], out_dir=tmp_path / "cut", config=cfg)
    assert resumed.resumed_from_step == 4 and resumed.steps == full.steps == 6
    assert not (tmp_path / "cut" / common.CHECKPOINT_DIR).exists()
    a = load_file(tmp_path / "full" / "model.safetensors")
    b = load_file(tmp_path / "cut" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max().item() < 1e-5, key


def test_cli_train_nli_and_eval(tiny_embed_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entailkit.cli import app

    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "\n".join(json.dumps({"premise": p.premise, "hypothesis": p.hypothesis, "label": p.label}) for p in PAIRS),
        encoding="utf-8",
    )
    out = tmp_path / "cli-nli"
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "train",
            "nli",
            "--base",
            str(tiny_embed_path),
            "--data",
            f"{data}@2",
            "--out",
            str(out),
            "--dev",
            str(data),
            "--epochs",
            "1",
            "--quiet",
        ],
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.strip().splitlines()[-1])["out_dir"] == str(out)
    assert (out / "README.md").is_file()
    bad = runner.invoke(app, ["train", "nli", "--base", str(tiny_embed_path), "--data", "nope:x", "--out", str(out)])
    assert bad.exit_code == 2 and "unknown data set" in bad.output


def test_cli_train_classify_both_routes(tiny_embed_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("gliclass")
    from typer.testing import CliRunner

    from entailkit import load_scorer
    from entailkit.cli import app
    from fixtures.tiny_gliclass import tiny_gliclass_path

    data = tmp_path / "tickets.jsonl"
    texts = {"billing": ["I was charged twice", "refund my invoice"], "tech": ["the app crashes", "error 500 on login"]}
    data.write_text(
        "\n".join(json.dumps({"text": t, "label": label}) for label, items in texts.items() for t in items),
        encoding="utf-8",
    )
    runner = CliRunner()
    for route, base, kind in (
        ("nli", tiny_embed_path, "cross-encoder"),
        ("gliclass", tiny_gliclass_path(), "gliclass"),
    ):
        out = tmp_path / route
        args = ["train", "classify", "--base", str(base), "--data", str(data), "--out", str(out)]
        done = runner.invoke(app, [*args, "--route", route, "--shots", "1", "--epochs", "1", "--quiet"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output.strip().splitlines()[-1])["steps"] == 1
        scorer = load_scorer(out)
        assert scorer.info.kind == kind
        assert scorer.score_labels(["my card was charged"], ["billing", "tech"])[0].labels == ("billing", "tech")
    bad = runner.invoke(
        app,
        [
            "train",
            "classify",
            "--base",
            str(tiny_embed_path),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "x"),
            "--route",
            "svm",
        ],
    )
    assert bad.exit_code == 2 and "--route" in bad.output
