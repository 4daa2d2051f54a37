"""Per-token int8 for exported cross-encoders: int8 weights per output channel, int8 activations per token.

ONNX Runtime's dynamic quantization gives all the activations of a batch one scale, so a few outlier
tokens (BERT-style encoders put values 5-10x the rest on a handful of hidden channels of a few tokens)
set the step for every other token. On the MiniLM SICK checkpoint that moved entailment probabilities
by up to 0.61 (p99 0.16 over SICK test) and flipped 1.9% of the 0.5-threshold decisions. Quantizing each
token by its own range brings that to p99 0.04 and 0.3% (docs/benchmarks.md, "int8 that keeps decisions").

ONNX Runtime has no int8 matmul with a scale per row of the activations, so every weight ``MatMul`` is
rewritten with the same fused kernel fed a rescaled input:

    m = min(x_row, 0), r = max(x_row, 0) - m     (each token's own range, computed at run time)
    y = r * DynamicQuantizeMatMul((x - m) / r, W_q, s_w) + [m, 1] @ [colsum(W_q * s_w); b]

Every row of ``(x - m) / r`` spans [0, 1], so the kernel's one scale (1/255) is each token's own: exactly
per-token asymmetric uint8 activations, while the weights are symmetric int8 with one scale per output
channel. A token's scores therefore no longer depend on the other pairs of its batch.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np

from entailkit._optional import require

__all__ = ["LARGE_MODEL_BYTES", "int8_weight_bits", "quantize_per_token"]

LARGE_MODEL_BYTES = 1_800_000_000
"""Above this, models are written with their tensors in an external data file (protobuf's 2 GB limit)."""

_VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def int8_weight_bits(cpuinfo: Path = Path("/proc/cpuinfo")) -> int:
    """8, or 7 on x86 CPUs without VNNI, whose u8 x s8 instruction (``vpmaddubsw``) saturates 16-bit sums.

    Args:
        cpuinfo: Where the CPU flags are read on Linux; an x86 machine whose flags cannot be read is
            treated as having no VNNI.
    """
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return 8
    try:
        flags = cpuinfo.read_text(errors="replace")
    except OSError:
        return 7
    return 8 if any(flag in flags for flag in _VNNI_FLAGS) else 7


def quantize_per_token(source: Path, dest: Path, *, weight_bits: int | None = None) -> Path:
    """Rewrite every weight ``MatMul`` of the fp32 graph ``source`` to per-token int8; write ``dest``.

    Attention's activation-by-activation products, ``Gemm`` heads (pooler, classifier) and embeddings stay
    float32: they are a small share of the time and the first place quantization error would show.

    Args:
        source: The fp32 ONNX model (``export_onnx``).
        dest: The int8 model to write (external data format above ``LARGE_MODEL_BYTES``).
        weight_bits: 8 or 7 (None: ``int8_weight_bits()`` for this CPU).

    Returns:
        ``dest``.

    Raises:
        MissingDependencyError: ``onnx`` is not installed (the ``onnx`` extra).
    """
    onnx = require("onnx", extra="onnx")
    model = onnx.load(str(source))
    bits = int8_weight_bits() if weight_bits is None else weight_bits
    _Rewriter(model, bits).run()
    large = model.ByteSize() > LARGE_MODEL_BYTES
    onnx.save(model, str(dest), save_as_external_data=large, location=f"{dest.name}.data" if large else None)
    return dest


class _Rewriter:
    """One pass over a graph: weight MatMuls (and the bias Add after each) become the per-token form."""

    def __init__(self, model: Any, weight_bits: int) -> None:
        from onnx import helper, numpy_helper

        self.model, self.graph = model, model.graph
        self.helper, self.numpy_helper = helper, numpy_helper
        self.qmax = float(2 ** (weight_bits - 1) - 1)
        self.weights = {init.name: init for init in self.graph.initializer}
        self.consumers: dict[str, list[Any]] = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 17)
        self.nodes: list[Any] = []
        self.added: list[Any] = []
        self.ranges: dict[str, tuple[str, str, str]] = {}
        self.count = 0

    def run(self) -> None:
        """Rewrite the graph in place, keep node order topological, drop the replaced fp32 weights."""
        self._const("ek_zero", np.float32(0.0))
        self._const("ek_tiny", np.float32(1e-12))
        self._const("ek_one", np.float32(1.0))
        if self.opset >= 18:
            self._const("ek_last_axis", np.array([-1], dtype=np.int64))
        folded: set[int] = set()
        for node in self.graph.node:
            if id(node) in folded:
                continue
            weight = self.weights.get(node.input[1]) if node.op_type == "MatMul" else None
            if weight is None or len(weight.dims) != 2:
                self.nodes.append(node)
                continue
            bias_add = self._bias_add(node)
            if bias_add is not None:
                folded.add(id(bias_add))
            self._quantized_matmul(node, weight, bias_add)
        del self.graph.node[:]
        self.graph.node.extend(self.nodes)
        used = {name for node in self.nodes for name in node.input}
        kept = [init for init in self.graph.initializer if init.name in used] + self.added
        del self.graph.initializer[:]
        self.graph.initializer.extend(kept)
        if not any(o.domain == "com.microsoft" for o in self.model.opset_import):
            self.model.opset_import.append(self.helper.make_opsetid("com.microsoft", 1))

    def _name(self, stem: str) -> str:
        self.count += 1
        return f"ek_{stem}_{self.count}"

    def _const(self, name: str, value: np.ndarray | np.generic) -> str:
        self.added.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def _node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self._name(op.lower())
        domain = "com.microsoft" if op == "DynamicQuantizeMatMul" else ""
        self.nodes.append(self.helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def _reduce(self, op: str, x: str) -> str:
        if self.opset >= 18:
            return self._node(op, [x, "ek_last_axis"], keepdims=1)
        return self._node(op, [x], axes=[-1], keepdims=1)

    def _bias_add(self, matmul: Any) -> Any | None:
        """The ``Add`` of a 1-D constant that is the MatMul output's only consumer, if there is one."""
        consumers = self.consumers.get(matmul.output[0], [])
        if len(consumers) != 1 or consumers[0].op_type != "Add":
            return None
        add = consumers[0]
        other = [name for name in add.input if name != matmul.output[0]]
        bias = self.weights.get(other[0]) if len(other) == 1 else None
        return add if bias is not None and len(bias.dims) == 1 else None

    def _token_range(self, x: str) -> tuple[str, str, str]:
        """``(x_n, r, [m, 1])`` of ``x``, built once per tensor (query, key and value share their input)."""
        if x not in self.ranges:
            low = self._node("Min", [self._reduce("ReduceMin", x), "ek_zero"])
            high = self._node("Max", [self._reduce("ReduceMax", x), "ek_zero"])
            span = self._node("Max", [self._node("Sub", [high, low]), "ek_tiny"])
            scaled = self._node("Mul", [self._node("Sub", [x, low]), self._node("Reciprocal", [span])])
            ones = self._node("Add", [self._node("Mul", [low, "ek_zero"]), "ek_one"])
            self.ranges[x] = (scaled, span, self._node("Concat", [low, ones], axis=-1))
        return self.ranges[x]

    def _quantized_matmul(self, matmul: Any, weight: Any, bias_add: Any | None) -> None:
        """``y = r * DynamicQuantizeMatMul(x_n, W_q, s_w) + [m, 1] @ [colsum; b]``: the shift and the bias
        in one small product (one pass over the output instead of three)."""
        w = self.numpy_helper.to_array(weight).astype(np.float64)
        scale = np.maximum(np.abs(w).max(axis=0) / self.qmax, 1e-12)
        w_q = np.clip(np.round(w / scale), -self.qmax, self.qmax)
        bias = np.zeros(w.shape[1])
        if bias_add is not None:
            name = next(n for n in bias_add.input if n != matmul.output[0])
            bias = self.numpy_helper.to_array(self.weights[name]).astype(np.float64)
        shift_and_bias = np.stack([(w_q * scale).sum(axis=0), bias]).astype(np.float32)
        scaled, span, low_one = self._token_range(matmul.input[0])
        w_name = self._const(self._name("w_int8"), w_q.astype(np.int8))
        s_name = self._const(self._name("w_scale"), scale.astype(np.float32))
        product = self._node("Mul", [self._node("DynamicQuantizeMatMul", [scaled, w_name, s_name]), span])
        correction = self._node("MatMul", [low_one, self._const(self._name("shift_bias"), shift_and_bias)])
        out = bias_add.output[0] if bias_add is not None else matmul.output[0]
        self.nodes.append(self.helper.make_node("Add", [product, correction], [out]))
