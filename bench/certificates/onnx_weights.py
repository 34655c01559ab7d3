"""The line network's PyTorch weights, recovered from its exported ONNX file, to fine-tune a shipped model.

No PyTorch checkpoint of the shipped ``thai_lines.onnx`` was kept.  The
exporter does not keep parameter names: in eval mode it folds each
BatchNorm into the convolution before it (one weight and one bias per
Conv node, named ``onnx::Conv_N``), rewrites each LSTM layer as one ONNX
LSTM node with its gates reordered (ONNX i, o, f, c against PyTorch's i, f,
g, o) and the two biases concatenated, and stores the output layer's weight
transposed for a MatMul.  So the weights are matched by the graph's
structure, in order: the n-th Conv node to the n-th ``Conv2d``, the n-th
LSTM node to layer n of the ``LSTM``, the MatMul to the ``Linear``.

A folded BatchNorm cannot be split back into its scale and the statistics
it divided by.  :func:`load_onnx_weights` loads the folded convolution and
puts its bias into the BatchNorm's shift, with running statistics that make
the BatchNorm the identity in eval mode; :func:`calibrate_batch_norms` then
measures each BatchNorm's input on real lines and sets its statistics and
scale so that eval mode is unchanged and training mode, which normalises by
the batch's statistics, starts where the shipped model is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

# ONNX's LSTM gate blocks are i, o, f, c; PyTorch's are i, f, g (= c), o.
_TORCH_FROM_ONNX_GATES = (0, 2, 3, 1)


class WeightMismatch(RuntimeError):
    """The ONNX file's weights do not fit the model: a missing, extra or misshapen tensor."""


def _gates(block: np.ndarray, hidden: int) -> np.ndarray:
    parts = [block[g * hidden:(g + 1) * hidden] for g in range(4)]
    return np.concatenate([parts[g] for g in _TORCH_FROM_ONNX_GATES], axis=0)


def onnx_state(path: Path, model: Any) -> dict[str, np.ndarray]:
    """``model``'s state dict (as arrays) filled from the ONNX file at ``path``, BatchNorms as the identity.

    Raises :class:`WeightMismatch` unless every key of the state dict gets
    exactly one tensor of its shape and every weight of the graph is used.
    """
    import onnx
    from onnx import numpy_helper
    from torch import nn

    graph = onnx.load(str(path)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    used: set[str] = set()

    def init(name: str) -> np.ndarray:
        if name not in inits:
            raise WeightMismatch(f"{path}: node input {name!r} is not a stored weight")
        used.add(name)
        return inits[name]

    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    norms = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    lstms = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.LSTM)]
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    conv_nodes = [n for n in graph.node if n.op_type == "Conv"]
    lstm_nodes = [n for n in graph.node if n.op_type == "LSTM"]
    matmuls = [n for n in graph.node if n.op_type == "MatMul" and any(i in inits for i in n.input)]
    if len(lstms) != 1 or len(linears) != 1 or len(convs) != len(norms):
        raise WeightMismatch("expected Conv2d+BatchNorm2d pairs, one LSTM and one Linear")
    lstm_name, lstm = lstms[0]
    if (len(conv_nodes), len(lstm_nodes), len(matmuls)) != (len(convs), lstm.num_layers, 1):
        raise WeightMismatch(f"{path}: {len(conv_nodes)} Conv, {len(lstm_nodes)} LSTM, {len(matmuls)} MatMul nodes "
                             f"for {len(convs)} Conv2d, {lstm.num_layers} LSTM layers, 1 Linear")

    state: dict[str, np.ndarray] = {}
    for (conv_name, _), (norm_name, norm), node in zip(convs, norms, conv_nodes):
        if len(node.input) != 3:
            raise WeightMismatch(f"{path}: Conv {node.name} has no folded bias: was it exported in eval mode?")
        weight, bias = init(node.input[1]), init(node.input[2])
        state[f"{conv_name}.weight"] = weight
        channels = bias.shape[0]
        state[f"{norm_name}.weight"] = np.ones(channels, np.float32)
        state[f"{norm_name}.bias"] = bias
        state[f"{norm_name}.running_mean"] = np.zeros(channels, np.float32)
        # (x - 0) / sqrt(var + eps) = x
        state[f"{norm_name}.running_var"] = np.full(channels, 1.0 - norm.eps, np.float32)
        state[f"{norm_name}.num_batches_tracked"] = np.array(0, np.int64)

    hidden = lstm.hidden_size
    for layer, node in enumerate(lstm_nodes):
        w, r, b = (init(name) for name in node.input[1:4])
        for direction, suffix in enumerate(("", "_reverse")):
            key = f"{lstm_name}.%s_l{layer}{suffix}"
            state[key % "weight_ih"] = _gates(w[direction], hidden)
            state[key % "weight_hh"] = _gates(r[direction], hidden)
            state[key % "bias_ih"] = _gates(b[direction][: 4 * hidden], hidden)
            state[key % "bias_hh"] = _gates(b[direction][4 * hidden:], hidden)

    linear_name, _ = linears[0]
    (weight_name,) = [i for i in matmuls[0].input if i in inits]
    state[f"{linear_name}.weight"] = init(weight_name).T
    state[f"{linear_name}.bias"] = init(f"{linear_name}.bias")  # the one weight stored under its own name

    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    problems = [f"missing {k}" for k in expected.keys() - got.keys()]
    problems += [f"unexpected {k}" for k in got.keys() - expected.keys()]
    problems += [f"{k}: {got[k]} for {expected[k]}" for k in expected.keys() & got.keys() if got[k] != expected[k]]
    problems += [f"unused weight {k}" for k in inits.keys() - used]
    if problems:
        raise WeightMismatch(f"{path}: " + "; ".join(sorted(problems)))
    return state


def load_onnx_weights(model: Any, path: Path) -> None:
    """Load the ONNX file's weights into ``model`` (see :func:`onnx_state`)."""
    import torch

    state = onnx_state(path, model)
    model.load_state_dict({k: torch.from_numpy(np.array(v, copy=True)) for k, v in state.items()}, strict=True)


def calibrate_batch_norms(model: Any, inputs: Iterable[Any]) -> None:
    """Give each identity BatchNorm of a loaded model the statistics of its input over ``inputs`` (image batches).

    Eval mode computes what it did (``scale · (x − mean) / sqrt(var + eps)
    + shift`` with scale = sqrt(var + eps), shift = mean + folded bias), and
    training mode's batch normalisation starts from the shipped model's
    activations instead of from unit variance.
    """
    import torch
    from torch import nn

    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    sums = {id(m): [0.0, 0.0, 0] for m in norms}

    def hook(module: nn.Module, args: tuple, _out: Any) -> None:
        x = args[0].detach().double()
        acc = sums[id(module)]
        acc[0] = acc[0] + x.sum(dim=(0, 2, 3))
        acc[1] = acc[1] + (x * x).sum(dim=(0, 2, 3))
        acc[2] += x.numel() // x.shape[1]

    model.eval()
    handles = [m.register_forward_hook(hook) for m in norms]
    with torch.no_grad():
        for x in inputs:
            model(x)
    for h in handles:
        h.remove()
    with torch.no_grad():
        for m in norms:
            total, squares, n = sums[id(m)]
            mean = total / n
            var = (squares / n - mean * mean).clamp_min(1e-6)
            folded_bias = m.bias.double().clone()
            m.running_mean.copy_(mean.float())
            m.running_var.copy_(var.float())
            m.weight.copy_(torch.sqrt(var + m.eps).float())
            m.bias.copy_((mean + folded_bias).float())
