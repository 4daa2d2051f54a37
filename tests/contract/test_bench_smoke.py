"""A smoke run of ``entailkit bench`` on tiny models and a handful of real inputs: structure, no timings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gliclass")


def _positive(row: dict[str, Any]) -> bool:
    return row["per_s"] > 0 and row["seconds"] > 0


@pytest.fixture(scope="module")
def speed_report(
    tiny_models: dict[str, Path], shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    from entailkit.bench import SpeedOptions, run_speed
    from fixtures.tiny_gliclass import tiny_gliclass_path

    if not (shared_dir / "data" / "msmarco_trecdl_subset").is_dir() or not (shared_dir / "data" / "ag_news").is_dir():
        pytest.skip("MS MARCO subset or AG News absent under the shared folder")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENTAILKIT_CACHE_DIR", str(tmp_path_factory.mktemp("bench-onnx-cache")))
        return run_speed(
            SpeedOptions(
                model=tiny_models["bert-nli3-cen"],
                shared=shared_dir,
                pairs=24,
                texts=3,
                labels=(1, 3),
                threads=1,
                gliclass_model=tiny_gliclass_path(),
            )
        )


def test_speed_report_has_every_peer_with_positive_throughput(speed_report: dict[str, Any]) -> None:
    rerank = speed_report["rerank"]
    assert rerank["pairs"] == 24 and rerank["tokens"] > 24 and rerank["model_gflop"] >= 0
    assert set(rerank["peers"]) == {
        "sentence-transformers",
        "transformers-loop",
        "entailkit-torch",
        "entailkit-onnx-fp32",
        "entailkit-onnx-int8",
    }
    for name, row in rerank["peers"].items():
        assert _positive(row), name
        assert 0.0 <= row["ndcg@10"] <= 1.0 and row["fraction_of_gemm_peak"] > 0
    # Same weights and windows: ONNX fp32 gives entailkit torch's scores. (The tiny models take 128
    # tokens, so sentence-transformers and the plain loop truncate where entailkit scores windows.)
    assert rerank["peers"]["entailkit-onnx-fp32"]["max_abs_diff_vs_torch"] < 1e-4
    zero_shot = speed_report["zero_shot"]
    assert set(zero_shot["peers"]) == {
        "transformers-pipeline",
        "entailkit-cross-encoder",
        "entailkit-gliclass",
        "gliclass-pipeline",
    }
    for name, rows in zero_shot["peers"].items():
        assert set(rows) == {"1", "3"} and all(_positive(r) for r in rows.values()), name
    assert all(_positive(r) for r in speed_report["groundedness"]["peers"].values())
    gemm = speed_report["gemm"]
    assert gemm["peak"] > 0 and gemm["unit"] == "GFLOP/s"


def test_report_files(speed_report: dict[str, Any], tmp_path: Path) -> None:
    from entailkit.bench import report

    paths = report.write({"machine": report.machine(1), "speed": speed_report}, tmp_path)
    loaded = json.loads(paths["json"].read_text())
    assert loaded["speed"]["rerank"]["peers"].keys() == speed_report["rerank"]["peers"].keys()
    table = paths["markdown"].read_text()
    for peer in ("sentence-transformers", "entailkit-onnx-int8", "gliclass-pipeline", "Groundedness"):
        assert peer in table


def test_quality_metrics_on_real_rows(tiny_models: dict[str, Path], shared_dir: Path) -> None:
    from entailkit import metrics
    from entailkit.bench import run_quality

    for name in ("sick", "glue_rte", "ag_news", "msmarco_trecdl_subset"):
        if not (shared_dir / "data" / name).is_dir():
            pytest.skip(f"{name} absent under the shared folder")
    result = run_quality(
        [tiny_models["bert-nli2-ent0"]], shared_dir, limits={"sick": 8, "rte": 8, "ag_news": 8, "msmarco": 40, "int8": 8}
    )
    (row,) = result["models"]
    assert row["head"] == "nli2" and row["sick_rows"] == 8 and row["rte_rows"] == 8 and row["ag_news_rows"] == 8
    for key in ("sick_accuracy", "sick_ece", "rte_accuracy", "ag_news_macro_f1", "msmarco_ndcg@10"):
        assert 0.0 <= row[key] <= 1.0, key
    int8 = row["int8_vs_fp32"]  # the same SICK rows through ONNX int8 and torch fp32
    assert int8["pairs"] == 8 and int8["threshold"] == 0.5
    diff = int8["abs_diff"]
    assert 0.0 < diff["p50"] <= diff["p90"] <= diff["p99"] <= diff["max"] < 0.5
    assert 0.0 <= int8["decision_agreement"] <= 1.0 and 0.0 <= int8["top_class_agreement"] <= 1.0
    # the bench's nDCG@10 convention (exponential gains, ideal from the pool): docs/metrics.md
    bench = {"gains": "exponential", "ideal": "pool", "pool": ["a", "b", "c"]}
    assert metrics.ndcg_at_k(["a", "b"], {"a": 3, "b": 1, "z": 3}, **bench) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["b", "a"], {"a": 3, "b": 1}, **bench) < 1.0


def test_bench_cli_help() -> None:
    from typer.testing import CliRunner

    from entailkit.cli import app

    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    for command in ("speed", "quality", "all"):
        assert command in result.output


def test_bench_speed_skip_rejects_unknown_sections(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entailkit.cli import app
    from entailkit.cli.bench import _sections

    assert _sections("rerank, gemm") == {"rerank", "gemm"} and _sections(None) == set()
    result = CliRunner().invoke(app, ["bench", "speed", "--skip", "rerank,warp", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "warp" in result.output
    assert not (tmp_path / "r").exists()


def test_full_sized_section_runs_every_peer(
    tiny_models: dict[str, Path], shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--full on shrunken copies of the sized configs: every peer runs (XLM-R, DeBERTa-v3, ModernBERT: no segment ids)."""
    from entailkit.bench import SpeedOptions, models, run_speed

    if not (shared_dir / "data" / "msmarco_trecdl_subset").is_dir():
        pytest.skip("MS MARCO subset absent under the shared folder")
    small = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
    for name, spec in list(models.SIZED_CONFIGS.items()):
        monkeypatch.setitem(models.SIZED_CONFIGS, name, {**spec, **small})
    monkeypatch.setenv("ENTAILKIT_CACHE_DIR", str(tmp_path / "cache"))
    report = run_speed(
        SpeedOptions(
            model=tiny_models["bert-nli3-cen"],
            shared=shared_dir,
            full=True,
            sized_pairs=6,
            threads=1,
            skip={"rerank", "zero_shot", "groundedness", "gemm"},
        )
    )
    sized = report["sized"]
    assert set(sized) == set(models.SIZED_CONFIGS)
    for section in sized.values():
        assert section["weights"] == "random (speed only)" and section["pairs"] == 6
        peers = section["peers"]
        assert set(peers) == {"sentence-transformers", "entailkit-torch", "entailkit-onnx-fp32", "entailkit-onnx-int8"}
        assert all(_positive(row) for row in peers.values())
        assert peers["sentence-transformers"]["max_abs_diff_vs_torch"] < 1e-4
        assert peers["entailkit-onnx-fp32"]["max_abs_diff_vs_torch"] < 1e-4
        int8 = peers["entailkit-onnx-int8"]
        assert 0.0 < int8["p99_abs_diff_vs_torch"] <= int8["max_abs_diff_vs_torch"] < 0.5
