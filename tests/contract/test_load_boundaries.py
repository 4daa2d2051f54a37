"""Loading options and checkpoints refused up front with typed errors (issue 15, items 5, 6 and 7).

Each case once crashed later (after the weights loaded, or on the first long input) with a raw
AttributeError / RuntimeError / OSError, or loaded something else silently, or hung on the hub.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from entailkit import load_scorer
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.scorers.checkpoint import MIN_MAX_LENGTH


@pytest.fixture(scope="module")
def model_dir(tiny_models: dict[str, Path]) -> Path:
    return tiny_models["bert-nli3-cen"]


def _variant(src: Path, dst: Path, *, config: Callable[[Any], Any] | None = None, tokenizer: Any = None) -> Path:
    shutil.copytree(src, dst)
    if config is not None:
        data = json.loads((dst / "config.json").read_text())
        (dst / "config.json").write_text(json.dumps(config(data)))
    if tokenizer is not None:
        data = json.loads((dst / "tokenizer_config.json").read_text())
        (dst / "tokenizer_config.json").write_text(json.dumps(tokenizer(data)))
    return dst


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_length": 4}, "max_length=4 leaves no room"),
        ({"max_length": MIN_MAX_LENGTH - 1}, "leaves no room"),
        ({"max_length": 600}, "longer than .* can read \\(512 positions\\)"),
        ({"revision": 5}, "revision must be"),
        ({"revision": "  "}, "revision must be"),
        ({"label_map": "entailment"}, "label_map must be a dict"),
        ({"label_map": {"entailment": "0"}}, "label_map must map"),
        ({"trust_remote_code": "no"}, "trust_remote_code must be True or False"),
        ({"allow_pickle": 1}, "allow_pickle must be True or False"),
        ({"truncation": "middle"}, "truncation must be one of"),
        ({"quantize": "int4", "backend": "onnx"}, "quantize must be 'int8' or None"),
        ({"batch_size": 0}, "batch_size must be a positive int"),
        ({"token_budget": True}, "token_budget must be a positive int"),
    ],
)
def test_bad_options_are_refused_before_weights_load(
    model_dir: Path, options: dict[str, Any], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    def no_weights(*_: Any, **__: Any) -> None:
        raise AssertionError("weights were loaded before the options were checked")

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", no_weights)
    with pytest.raises(InvalidInputError, match=match):
        load_scorer(model_dir, **options)


def test_smallest_max_length_scores_a_long_premise(model_dir: Path) -> None:
    scorer = load_scorer(model_dir, max_length=MIN_MAX_LENGTH)
    scores = scorer.score_pairs(["word " * 300], ["a rather long hypothesis about words and more words"])
    assert len(scores) == 1 and 0.0 <= scores.scores[0] <= 1.0
    assert scores[0].num_windows > 1


def test_a_name_too_long_for_the_file_system_is_a_model_load_error() -> None:
    with pytest.raises(ModelLoadError, match=r"not a usable path or hub id|neither a model directory"):
        load_scorer("x" * 300)
    with pytest.raises(ModelLoadError):
        load_scorer("org/" + "x" * 300)


@pytest.mark.parametrize("bad", [["a list"], "a string", None, 5])
def test_config_json_that_is_not_an_object(model_dir: Path, tmp_path: Path, bad: Any) -> None:
    path = _variant(model_dir, tmp_path / "m", config=lambda _: bad)
    with pytest.raises(ModelLoadError, match="must hold a JSON object"):
        load_scorer(path)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda c: {**c, "architectures": "BertForSequenceClassification"}, "'architectures' must be a list"),
        (lambda c: {**c, "architectures": [1]}, "'architectures' must be a list"),
        (lambda c: {**c, "model_type": ["bert"]}, "'model_type' must be a str"),
        (lambda c: {**c, "id2label": ["a", "b", "c"]}, "'id2label' must be a JSON object"),
    ],
)
def test_config_keys_of_the_wrong_shape(model_dir: Path, tmp_path: Path, edit: Any, match: str) -> None:
    path = _variant(model_dir, tmp_path / "m", config=edit)
    with pytest.raises(ModelLoadError, match=match):
        load_scorer(path)


def test_config_json_that_is_not_json(model_dir: Path, tmp_path: Path) -> None:
    path = _variant(model_dir, tmp_path / "m")
    (path / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="cannot read"):
        load_scorer(path)


def test_model_code_in_auto_map_needs_trust_remote_code(model_dir: Path, tmp_path: Path) -> None:
    auto_map = {"AutoModelForSequenceClassification": "modeling_x.XModel"}
    path = _variant(model_dir, tmp_path / "m", config=lambda c: {**c, "auto_map": auto_map})
    with pytest.raises(ModelLoadError, match=r"ships its own code .*modeling_x.XModel.*trust_remote_code=True") as info:
        load_scorer(path)
    assert "hf.co/" not in str(info.value)  # no hub link built from a local path


def test_tokenizer_code_in_auto_map_needs_trust_remote_code(model_dir: Path, tmp_path: Path) -> None:
    tok_map = {"AutoTokenizer": ["tokenization_x.XTokenizer", None]}
    path = _variant(model_dir, tmp_path / "m", tokenizer=lambda c: {**c, "auto_map": tok_map})
    with pytest.raises(ModelLoadError, match=r"tokenization_x.XTokenizer"):
        load_scorer(path)


def test_gliclass_from_pretrained_checks_options_too() -> None:
    from entailkit.scorers.gliclass import GLiClassScorer
    from fixtures.tiny_gliclass import tiny_gliclass_path

    path = tiny_gliclass_path()
    with pytest.raises(InvalidInputError, match="revision must be"):
        GLiClassScorer.from_pretrained(path, revision=5)
    with pytest.raises(InvalidInputError, match="unknown GLiClass option"):
        GLiClassScorer.from_pretrained(path, max_lenght=64)
    with pytest.raises(InvalidInputError, match="longer than"):
        GLiClassScorer.from_pretrained(path, max_length=100_000)


# -- the hub: a host that accepts connections and never answers must not hang load_scorer ----------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts every connection and never sends a byte: ``host:port``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Hub access allowed (offline flags removed), an empty cache, a 1 s hub timeout."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("ENTAILKIT_HUB_TIMEOUT_S", "1")
    monkeypatch.setenv("NO_PROXY", "")
    return monkeypatch


def _load_in_thread(model: str, wait_s: float = 60.0) -> BaseException | None:
    """Run load_scorer in a thread; the error it raised, or fail the test if it is still running."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_scorer(model)
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait_s)
    assert not thread.is_alive(), f"load_scorer({model!r}) still running after {wait_s} s"
    return outcome[0]


def test_hub_that_accepts_but_never_answers_fails_fast(online: pytest.MonkeyPatch, silent_server: str) -> None:
    online.setenv("HF_ENDPOINT", f"http://{silent_server}")
    error = _load_in_thread("org/some-model")
    assert isinstance(error, ModelLoadError)
    assert "did not answer within 1 s" in str(error)


def test_hub_probe_goes_through_the_https_proxy(online: pytest.MonkeyPatch, silent_server: str) -> None:
    online.setenv("HF_ENDPOINT", "https://huggingface.co")
    online.setenv("HTTPS_PROXY", f"http://{silent_server}")
    started = time.monotonic()
    error = _load_in_thread("org/some-model")
    assert isinstance(error, ModelLoadError) and "did not answer" in str(error)
    assert time.monotonic() - started < 60


class _NotFound(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # http.server's naming
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *_: Any) -> None:
        pass


def test_hub_that_answers_404_gives_a_download_error(online: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        online.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
        error = _load_in_thread("org/some-model")
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(error, ModelLoadError) and "could not download 'org/some-model'" in str(error)


# -- the backend registry --------------------------------------------------------------------------


def test_unknown_backend_options_are_refused(model_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown the torch backend option.*max_labels_per_pass"):
        load_scorer(model_dir, max_labels_per_pass=3)


def test_a_registered_backend_is_used_by_load_scorer(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from entailkit.scorers import registry
    from entailkit.scorers.transformers_loading import load_transformers_scorer

    calls: list[str] = []

    def traced(name: str, folder: Path, config: Any, kind: str, options: Any) -> Any:
        calls.append(kind)
        return load_transformers_scorer(name, folder, config, kind, options)

    monkeypatch.setitem(registry._LOADERS, ("cross-encoder", "traced"), traced)
    scorer = load_scorer(model_dir, backend="traced")  # type: ignore[arg-type]
    assert calls == ["cross-encoder"]
    assert ("cross-encoder", "traced") in registry.registered_backends()
    reference = load_scorer(model_dir).score_pairs(["a cat sleeps"], ["an animal rests"]).scores
    assert scorer.score_pairs(["a cat sleeps"], ["an animal rests"]).scores == reference
    with pytest.raises(InvalidInputError, match="supports cross-encoders only"):
        load_scorer(model_dir, kind="embedding", backend="traced")  # type: ignore[arg-type]


# -- scorer calls: flags are real bools (issue 15, item 5) ---------------------------------------------


@pytest.mark.parametrize("name", ["bert-nli3-cen", "bert-embed", "gliclass"])
@pytest.mark.parametrize("flag", [5, "no", None])
def test_score_labels_multi_label_must_be_a_bool(tiny_models: dict[str, Path], name: str, flag: Any) -> None:
    from fixtures.tiny_gliclass import tiny_gliclass_path

    scorer = load_scorer(tiny_gliclass_path() if name == "gliclass" else tiny_models[name])
    with pytest.raises(InvalidInputError, match="multi_label must be a bool"):
        scorer.score_labels(["a text about cats"], ["animals", "finance"], multi_label=flag)
    result = scorer.score_labels(["a text about cats"], ["animals", "finance"], multi_label=False)
    assert result.items[0].multi_label is False
