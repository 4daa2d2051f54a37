"""``entailkit serve --ray`` and ``run_ray_serve`` without Ray: options refused with typed errors before
Ray starts, Ray Serve's deployment options, the CLI flags. (The deployment itself: tests/distributed/test_ray_serve.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from entailkit import InvalidInputError, Reranker, RerankSpec
from entailkit.errors import MissingDependencyError
from entailkit.serve import RayServeOptions, ServeConfig
from entailkit.serve import ray as ray_serve
from entailkit.serve.ray_options import deployment_options, model_id, ray_serve_options, served_tasks


@pytest.fixture
def no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting Ray fails the test: every refusal must come first."""

    def started(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError("Ray was started")

    monkeypatch.setattr(ray_serve, "start_ray", started)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"replicas": 0}, "replicas must be an int >= 1"),
        ({"replicas": True}, "replicas must be an int >= 1"),
        ({"replicas": 2, "autoscale": (1, 3)}, "not both"),
        ({"autoscale": (3, 1)}, "autoscale must be"),
        ({"autoscale": (0, 0)}, "autoscale must be"),
        ({"autoscale": (1, 2.5)}, "autoscale must be"),
        ({"threads_per_replica": 0}, "threads_per_replica must be an int >= 1"),
        ({"cpus_per_replica": -1.0}, "cpus_per_replica must be a finite number > 0"),
        ({"gpus_per_replica": float("nan")}, "gpus_per_replica"),
        ({"target_ongoing_requests": 0}, "target_ongoing_requests"),
        ({"num_cpus": 2, "address": "auto"}, "local runtime only"),
        ({"address": " "}, "address must be"),
        ({"name": "a#b"}, "without '#'"),
        ({"route_prefix": "api"}, "must start with '/'"),
        ({"drain_timeout_s": 0}, "drain_timeout_s must be a number > 0"),
        ({"replica": 2}, "unknown Ray Serve option"),
    ],
)
def test_bad_options_are_refused_before_ray_starts(
    fields: dict[str, Any], message: str, no_ray: None, tiny_models: dict[str, Path]
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ray_serve.run_ray_serve(tiny_models["bert-nli3-cen"], **fields)


def test_bad_model_tasks_and_exposure_are_refused_before_ray_starts(
    no_ray: None, tiny_models: dict[str, Path], load_tiny: Any, tmp_path: Path
) -> None:
    model = tiny_models["bert-nli3-cen"]
    scorer = load_tiny("bert-nli3-cen")
    with pytest.raises(InvalidInputError, match="takes a model id"):
        ray_serve.run_ray_serve(scorer)
    with pytest.raises(InvalidInputError, match=r"RerankSpec\.of\(task\)"):
        ray_serve.run_ray_serve(model, rerank=Reranker(scorer))
    with pytest.raises(InvalidInputError, match="unknown option 'top'"):
        ray_serve.run_ray_serve(model, rerank={"top": 3})
    (tmp_path / "routes.yaml").write_text("routes: []\n")
    with pytest.raises(InvalidInputError, match="routes"):
        ray_serve.run_ray_serve(model, routes=tmp_path / "routes.yaml")
    with pytest.raises(InvalidInputError, match="without an API key"):
        ray_serve.run_ray_serve(model, ServeConfig(host="0.0.0.0"))


def test_missing_ray_serve_names_the_extra(
    no_ray: None, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray.serve", None)  # import ray.serve -> ImportError
    with pytest.raises(MissingDependencyError, match=r"entailkit\[ray-serve\]"):
        ray_serve.run_ray_serve(tiny_models["bert-nli3-cen"], replicas=2)


def test_deployment_options_fixed_and_autoscaling() -> None:
    config = ServeConfig(max_queue=16, graceful_timeout_s=7)
    fixed = deployment_options(RayServeOptions(replicas=2, threads_per_replica=2), config)
    assert fixed["num_replicas"] == 2 and "autoscaling_config" not in fixed
    assert fixed["ray_actor_options"]["num_cpus"] == 2.0
    assert fixed["ray_actor_options"]["runtime_env"]["env_vars"]["OMP_NUM_THREADS"] == "2"
    assert fixed["max_ongoing_requests"] == 16
    assert fixed["graceful_shutdown_timeout_s"] == 32.0  # the request timeout (30 s) + 2: every admitted request ends
    drained = deployment_options(RayServeOptions(drain_timeout_s=5), config)
    assert drained["graceful_shutdown_timeout_s"] == 5.0
    scaled = deployment_options(ray_serve_options(None, {"autoscale": [1, 4], "cpus_per_replica": 0.5}), config)
    assert "num_replicas" not in scaled and scaled["ray_actor_options"]["num_cpus"] == 0.5
    assert scaled["autoscaling_config"] == {
        "min_replicas": 1,
        "initial_replicas": 1,
        "max_replicas": 4,
        "target_ongoing_requests": 4.0,
    }
    assert deployment_options(RayServeOptions(), config)["num_replicas"] == 1


def test_served_tasks_are_specs_and_routes_are_read_on_the_driver(tmp_path: Path) -> None:
    (tmp_path / "routes.yaml").write_text("fallback: other\nroutes:\n  - {name: billing, description: money}\n")
    tasks = served_tasks(tmp_path / "routes.yaml", {"top_n": 2}, None, None)
    assert tasks["rerank"] == RerankSpec(top_n=2) and tasks["check"] is None and tasks["classify"] is None
    assert [route.name for route in tasks["routes"].routes] == ["billing"]
    assert served_tasks([{"name": "a", "description": "b"}], None, None, None)["routes"].routes[0].name == "a"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replicas", "2"], "--replicas need(s) --ray"),
        (["--autoscale", "1:2", "--address", "auto"], "--autoscale, --address need(s) --ray"),
        (["--threads-per-replica", "2"], "--threads-per-replica need(s) --ray"),
        (["--ray", "--replicas", "2", "--autoscale", "1:3"], "exclude each other"),
        (["--ray", "--autoscale", "3"], "MIN:MAX"),
        (["--ray", "--autoscale", "a:b"], "MIN:MAX"),
        (["--ray", "--autoscale", "3:1"], "autoscale must be"),
        (["--ray", "--replicas", "0"], "replicas must be an int >= 1"),
    ],
)
def test_cli_ray_flags_are_checked(args: list[str], message: str, tiny_models: dict[str, Path]) -> None:
    from entailkit.cli import app

    result = CliRunner().invoke(app, ["serve", "-m", str(tiny_models["bert-nli3-cen"]), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_ray_hands_the_options_and_loads_no_model_here(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entailkit.cli import app
    from entailkit.cli import serve as serve_command

    calls: list[dict[str, Any]] = []

    class Running:
        url = "http://127.0.0.1:8080"
        stopped = False

        def status(self) -> dict[str, int]:
            return {"RUNNING": 2}

        def wait(self) -> None:
            return None

        def shutdown(self) -> None:
            Running.stopped = True

    def run(model: Any, config: ServeConfig, **kwargs: Any) -> Running:
        calls.append({"model": model, "config": config, **kwargs})
        return Running()

    def no_load(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the model was loaded on the driver")

    monkeypatch.setattr(ray_serve, "run_ray_serve", run)
    monkeypatch.setattr(serve_command, "shared_scorer", no_load)
    (tmp_path / "rerank.json").write_text('{"top_n": 3}')
    model = str(tiny_models["bert-nli3-cen"])
    args = ["serve", "-m", model, "--ray", "--replicas", "2", "--address", "auto", "--port", "8123"]
    result = CliRunner().invoke(app, [*args, "--rerank-spec", str(tmp_path / "rerank.json"), "--batch-size", "8"])
    assert result.exit_code == 0, result.output
    (call,) = calls
    options = call["options"]
    assert call["model"] == model and call["config"].port == 8123 and call["rerank"] == RerankSpec(top_n=3)
    assert options.replicas == 2 and options.autoscale is None and options.address == "auto"
    assert options.threads_per_replica == 1 and dict(options.scorer_kwargs) == {"batch_size": 8}
    assert Running.stopped

    result = CliRunner().invoke(app, ["serve", "-m", model, "--ray", "--autoscale", "1:4"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["options"].autoscale == (1, 4) and calls[-1]["options"].replicas is None


def test_cli_help_lists_the_ray_flags() -> None:
    from entailkit.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in ("--ray", "--replicas", "--autoscale", "--address", "--threads-per-replica"):
        assert flag in result.output


def test_a_replica_app_is_the_served_app_with_its_replica_header(tiny_models: dict[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from entailkit.serve.ray import REPLICA_HEADER, replica_app

    tasks = served_tasks(None, {"top_n": 1}, None, None)
    app = replica_app(tiny_models["bert-nli3-cen"], ServeConfig(api_key="k-1"), tasks, {"batch_size": 8}, 1)
    with TestClient(app) as http:
        response = http.post("/v2/rerank", json={"query": "a man", "documents": ["a man sings", "a dog"]})
        assert response.status_code == 401 and response.headers[REPLICA_HEADER].startswith("pid-")
        response = http.post(
            "/v2/rerank",
            json={"query": "a man", "documents": ["a man sings", "a dog"]},
            headers={"Authorization": "Bearer k-1"},
        )
        assert response.status_code == 200 and len(response.json()["results"]) == 1
        assert app.state.batcher.alive
    assert not app.state.batcher.alive  # the lifespan stopped it


def test_the_health_check_fails_when_the_batcher_is_not_running() -> None:
    from types import SimpleNamespace

    from entailkit.serve.ray import EntailkitReplica

    replica = EntailkitReplica()
    replica.check_health()  # before Ray Serve set the app: nothing to check
    replica.app = SimpleNamespace(state=SimpleNamespace(batcher=SimpleNamespace(alive=True)))  # type: ignore[attr-defined]
    replica.check_health()
    replica.app.state.batcher.alive = False  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="batcher"):
        replica.check_health()


def test_a_local_model_path_that_does_not_exist_is_refused_before_ray_starts(no_ray: None, tmp_path: Path) -> None:
    from entailkit.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="does not exist"):
        ray_serve.run_ray_serve(tmp_path / "no-model")
    assert model_id("org/model") == "org/model"  # a hub id: the replicas resolve it
    assert model_id(str(tmp_path / "no-model"), "auto") == str(tmp_path / "no-model")  # a cluster's path
