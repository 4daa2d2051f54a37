"""``entailkit serve``: the HTTP API with dynamic batching over one model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from entailkit.cli._common import BatchOption, DeviceOption, DtypeOption, ModelOption, exit_on_error, fail
from entailkit.cli.app import app
from entailkit.scorers.shared import shared_scorer

if TYPE_CHECKING:
    from entailkit.serve.ray_options import RayServeOptions

__all__ = ["CONFIG_FLAGS", "SPEC_HELP", "given_config", "parse_autoscale", "ray_options", "serve"]

CONFIG_FLAGS = {
    "host": "host",
    "port": "port",
    "api_key": "api_key",
    "max_batch_wait_ms": "max_batch_wait_ms",
    "max_batch_pairs": "max_batch_pairs",
    "max_queue": "max_queue",
    "request_timeout": "request_timeout_s",
    "max_body_bytes": "max_body_bytes",
    "max_documents": "max_documents",
    "max_document_chars": "max_document_chars",
    "max_labels": "max_labels",
    "max_request_pairs": "max_request_pairs",
    "max_query_chars": "max_query_chars",
    "max_label_chars": "max_label_chars",
    "max_connections": "max_connections",
    "backlog": "backlog",
    "body_timeout": "body_timeout_s",
    "header_timeout": "header_timeout_s",
    "keep_alive_timeout": "keep_alive_timeout_s",
    "graceful_timeout": "graceful_timeout_s",
    "log_interval": "log_interval_s",
    "retry_after": "retry_after_s",
    "model_name": "model_name",
}
"""The flags of ``entailkit serve`` that set a ServeConfig option: parameter name -> option name."""

SPEC_HELP = "JSON or YAML file of the {} options the server's {} use (its spec); a request's own fields override them."


@app.command("serve")
def serve(
    ctx: typer.Context,
    model: ModelOption,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML, TOML or JSON file of server options (port, api_key, max_queue, ...); "
            "the flags given and $ENTAILKIT_<OPTION> variables override it.",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs an API key.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    routes: Annotated[
        str | None,
        typer.Option(help="Routes YAML file: enables POST /v1/route."),
    ] = None,
    rerank_spec: Annotated[
        Path | None, typer.Option(help=SPEC_HELP.format("Reranker", "rerank endpoints") + ' E.g. {"top_n": 5}.')
    ] = None,
    check_spec: Annotated[Path | None, typer.Option(help=SPEC_HELP.format("GroundednessChecker", "/v1/check"))] = None,
    classify_spec: Annotated[
        Path | None, typer.Option(help=SPEC_HELP.format("ZeroShotClassifier", "/v1/classify"))
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(help="Require 'Authorization: Bearer <key>' (default: $ENTAILKIT_API_KEY)."),
    ] = None,
    max_batch_wait_ms: Annotated[float, typer.Option(help="How long to wait for requests to merge (ms).")] = 5.0,
    max_batch_pairs: Annotated[
        int, typer.Option(help="Most estimated pairs in one model call; bigger jobs are cut into sub-calls.")
    ] = 256,
    max_queue: Annotated[int, typer.Option(help="Requests admitted at once; more get 503 + Retry-After.")] = 64,
    request_timeout: Annotated[float, typer.Option(help="Seconds before a request gets 504.")] = 30.0,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body (413 above).")] = 4 * 1024 * 1024,
    max_documents: Annotated[int, typer.Option(help="Documents (texts, contexts) per request.")] = 1000,
    max_document_chars: Annotated[int, typer.Option(help="Characters per document.")] = 50_000,
    max_labels: Annotated[int, typer.Option(help="Labels per classify request.")] = 100,
    max_request_pairs: Annotated[
        int, typer.Option(help="Estimated pairs per request (items x windows x labels); more get 413.")
    ] = 8192,
    max_query_chars: Annotated[int, typer.Option(help="Characters of a query or question.")] = 2000,
    max_label_chars: Annotated[int, typer.Option(help="Characters of a label, description or template.")] = 1000,
    max_connections: Annotated[
        int, typer.Option(help="Requests open at once (reading or waiting); more get 503 + Connection: close.")
    ] = 256,
    backlog: Annotated[int, typer.Option(help="Listen backlog (connections accepted per event-loop turn).")] = 128,
    body_timeout: Annotated[float, typer.Option(help="Seconds to send the whole body (then 408).")] = 10.0,
    header_timeout: Annotated[float, typer.Option(help="Seconds a new connection has to send its headers.")] = 10.0,
    keep_alive_timeout: Annotated[float, typer.Option(help="Seconds an idle keep-alive connection stays.")] = 5.0,
    graceful_timeout: Annotated[
        float, typer.Option(help="At shutdown, seconds requests in flight get to finish; the rest is dropped.")
    ] = 10.0,
    log_interval: Annotated[float, typer.Option(help="At most one warning line per kind per this many s.")] = 10.0,
    retry_after: Annotated[int, typer.Option(help="Seconds a 503 tells the client to wait (Retry-After).")] = 1,
    model_name: Annotated[
        str | None,
        typer.Option(
            "--served-model-name",
            "--model-name",
            help="The model name /health and responses report, as vLLM and TEI name it (default: the model's "
            "directory name or hub id, never a local path).",
        ),
    ] = None,
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ray: Annotated[
        bool, typer.Option("--ray", help="Serve on Ray Serve replicas (extra ray-serve); the model loads in each.")
    ] = False,
    replicas: Annotated[int | None, typer.Option(help="With --ray: a fixed number of replicas (default 1).")] = None,
    autoscale: Annotated[
        str | None,
        typer.Option(help="With --ray: MIN:MAX replicas, scaled on each replica's queue depth (not with --replicas)."),
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="With --ray: the cluster to join (auto, ray://head:10001); default a local one.")
    ] = None,
    threads_per_replica: Annotated[
        int | None, typer.Option(help="With --ray: torch threads (and CPUs reserved) per replica (default 1).")
    ] = None,
) -> None:
    """Serve rerank (Cohere / Jina / TEI shapes), check, classify and route over HTTP with one model.

    Each server option is, highest first: its flag (when given), $ENTAILKIT_<OPTION> (e.g. ENTAILKIT_MAX_QUEUE),
    the --config file, the default shown here.
    """
    from entailkit.serve.config import ServeConfig  # pydantic-settings (the serve extra): not at --help
    from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec

    on_ray = ray_options(ray, replicas, autoscale, address, threads_per_replica, device, dtype, batch_size)
    with exit_on_error():
        config = ServeConfig.from_file(config_file, **given_config(ctx)).with_env_key()
        config.check_exposure()  # before loading the model: refuse fast
        # The tasks' options before the model loads: a bad file is refused fast.
        rerank = RerankSpec.load(rerank_spec) if rerank_spec is not None else None
        check = CheckSpec.load(check_spec) if check_spec is not None else None
        classify = ClassifySpec.load(classify_spec) if classify_spec is not None else None
    if on_ray is not None:
        from entailkit.serve import ray as ray_serve  # Ray Serve; the model loads in the replicas only

        with exit_on_error():
            served = ray_serve.run_ray_serve(
                model, config, routes=routes, rerank=rerank, check=check, classify=classify, options=on_ray
            )
        typer.echo(f"serving on Ray Serve at {served.url} ({served.status()}); Ctrl-C stops", err=True)
        try:
            served.wait()
        finally:
            served.shutdown()
        return
    with exit_on_error():
        scorer = shared_scorer(model, device=device, dtype=dtype, batch_size=batch_size)
    from entailkit.serve.server import serve as run  # FastAPI and uvicorn

    with exit_on_error():
        run(scorer, config, routes=routes, rerank=rerank, check=check, classify=classify, log_level=log_level)


def given_config(ctx: typer.Context) -> dict[str, Any]:
    """The ServeConfig options of the flags given on the command line (a flag left at its default is not given).

    So the environment and the ``--config`` file decide every option whose flag was not typed.

    Args:
        ctx: The running ``serve`` command's context.

    Returns:
        ``{option: value}`` for each flag of ``CONFIG_FLAGS`` given explicitly.
    """
    out: dict[str, Any] = {}
    for name, option in CONFIG_FLAGS.items():
        source = ctx.get_parameter_source(name)
        # By name: typer may bring its own copy of click's ParameterSource enum.
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            out[option] = ctx.params[name]
    return out


def parse_autoscale(text: str) -> tuple[int, int]:
    """``MIN:MAX`` as two ints.

    Args:
        text: The ``--autoscale`` value, e.g. ``1:4``.

    Raises:
        typer.Exit: Not two integers separated by a colon (exit 2).
    """
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return int(low), int(high)
    except ValueError:
        raise fail(f"--autoscale takes MIN:MAX replicas (e.g. 1:4), got {text!r}.") from None


def ray_options(
    ray: bool,
    replicas: int | None,
    autoscale: str | None,
    address: str | None,
    threads_per_replica: int | None,
    device: str | None,
    dtype: str | None,
    batch_size: int,
) -> RayServeOptions | None:
    """The Ray Serve options of ``entailkit serve --ray`` (None without ``--ray``), checked before Ray starts.

    Args:
        ray: ``--ray``.
        replicas: ``--replicas``.
        autoscale: ``--autoscale MIN:MAX``.
        address: ``--address``.
        threads_per_replica: ``--threads-per-replica``.
        device: ``--device`` (each replica's).
        dtype: ``--dtype``.
        batch_size: ``--batch-size``.

    Raises:
        typer.Exit: A Ray flag without ``--ray``, ``--replicas`` with ``--autoscale``, or a bad value (exit 2).
    """
    given = {"--replicas": replicas, "--autoscale": autoscale, "--address": address}
    given["--threads-per-replica"] = threads_per_replica
    flags = [flag for flag, value in given.items() if value is not None]
    if not ray:
        if flags:
            raise fail(f"{', '.join(flags)} need(s) --ray (they configure the Ray Serve replicas).")
        return None
    if replicas is not None and autoscale is not None:
        raise fail("--replicas and --autoscale exclude each other: a fixed count, or MIN:MAX.")
    from entailkit.serve.ray_options import RayServeOptions  # the task specs (numpy): not at --help

    scorer_kwargs = {"device": device, "dtype": dtype, "batch_size": batch_size}
    with exit_on_error():
        return RayServeOptions(
            replicas=replicas,
            autoscale=parse_autoscale(autoscale) if autoscale is not None else None,
            address=address,
            threads_per_replica=threads_per_replica or 1,
            scorer_kwargs={k: v for k, v in scorer_kwargs.items() if v is not None},
        )
