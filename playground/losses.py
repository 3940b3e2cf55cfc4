"""The loss registry: which losses a dataset can train with, and what each one does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.errors import ConfigError, closest


@dataclass(frozen=True)
class LossSpec:
    name: str  # what people type
    torch_name: str  # the torch.nn class
    kind: str  # "classification" or "regression"
    summary: str
    rule: str
    when: str

    def function(self) -> Callable[[Any, Any], Any]:
        """(model output, targets) -> scalar loss. Classification outputs are logits."""
        import torch.nn.functional as F

        if self.name == "nll":
            return lambda out, y: F.nll_loss(F.log_softmax(out, dim=1), y)
        if self.name == "cross_entropy":
            return F.cross_entropy
        if self.name == "mse" and self.kind == "classification":
            return lambda out, y: F.mse_loss(F.softmax(out, dim=1), F.one_hot(y, out.shape[1]).to(out.dtype))
        return {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}[self.name]


CLASSIFICATION = {
    spec.name: spec
    for spec in (
        LossSpec(
            "nll",
            "NLLLoss",
            "classification",
            summary="Negative log-likelihood of the true class, on log-probabilities.",
            rule=(
                "loss = mean over points of −log_softmax(z)[true class]\n"
                "z: the model's raw outputs (its last layer is a plain\n"
                "linear layer); the log-softmax is applied inside the loss"
            ),
            when=(
                "Classification with C classes when a network ends in LogSoftmax. Here the model "
                "does not: the playground applies log_softmax to its outputs inside the loss, so "
                "NLLLoss(log_softmax(z)) equals CrossEntropyLoss(z) bit for bit: same numbers, "
                "same training."
            ),
        ),
        LossSpec(
            "cross_entropy",
            "CrossEntropyLoss",
            "classification",
            summary="Cross-entropy computed straight from the logits.",
            rule="loss = mean over points of -log softmax(z)[true class]   (z: the raw logits)",
            when=(
                "The usual choice for classification: it folds the log-softmax in, which is "
                "numerically stable, and takes class indices as targets."
            ),
        ),
        LossSpec(
            "mse",
            "MSELoss",
            "classification",
            summary="Squared distance between the softmax probabilities and one-hot targets.",
            rule="loss = mean of (softmax(z) - one_hot(class))^2 over points and classes",
            when=(
                "Rarely for classification: its gradient fades when a prediction is confidently "
                "wrong, so learning is slower than with cross-entropy. Shown here to compare."
            ),
        ),
    )
}

REGRESSION = {
    spec.name: spec
    for spec in (
        LossSpec(
            "mse",
            "MSELoss",
            "regression",
            summary="Mean squared error between prediction and target.",
            rule="loss = mean of (prediction - target)^2",
            when="The default for regression; large errors dominate, so outliers pull hard.",
        ),
        LossSpec(
            "l1",
            "L1Loss",
            "regression",
            summary="Mean absolute error.",
            rule="loss = mean of |prediction - target|",
            when="Regression with outliers: every error pulls with the same force.",
        ),
        LossSpec(
            "huber",
            "HuberLoss",
            "regression",
            summary="Squared error for small errors, absolute error for large ones (delta = 1).",
            rule="loss = mean of 0.5*e^2 if |e| < 1, else |e| - 0.5   (e = prediction - target)",
            when="Regression that should be smooth near the fit but robust to outliers.",
        ),
    )
}

LOSSES = {"classification": CLASSIFICATION, "regression": REGRESSION}
DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse"}


def get_loss(kind: str, name: str) -> LossSpec:
    table = LOSSES.get(kind)
    if table is None:
        raise ConfigError("loss", "a surface is its own loss; no loss can be chosen")
    key = name.strip().lower()
    if key in table:
        return table[key]
    raise ConfigError("loss", f"unknown {kind} loss {name!r} ({closest(key, list(table))})")
