"""PyTorch versions of the Multilayer Perceptron and Logistic Regression behind scikit-learn's estimator interface.

Both are scikit-learn classifiers (``fit`` / ``predict`` / ``predict_proba`` / ``get_params``) whose model is a
``torch.nn.Sequential`` of ``Linear`` layers. They take scikit-learn's hyperparameter names where the meaning is
the same, so the shipped search results of :class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.linear_model.LogisticRegression` apply unchanged. Two classes are modelled with one output
(sigmoid), more with one output per class (softmax), as scikit-learn does, so parameter counts match.

:class:`TorchMLPClassifier` (objective and training as scikit-learn's ``solver="adam"``):
    ``hidden_layer_sizes``, ``activation`` (relu, tanh, logistic, identity), ``alpha`` (L2 penalty,
    ``alpha / 2 * ||W||^2 / batch rows`` added to the mean log-loss; biases not penalised),
    ``learning_rate_init`` (Adam step), ``beta_1``, ``beta_2``, ``epsilon`` (Adam), ``batch_size``
    (``"auto"`` = ``min(200, rows)``), ``max_iter`` (epochs), ``tol`` and ``n_iter_no_change`` (stop when the
    epoch loss has not improved by ``tol`` for that many epochs), ``shuffle``, ``random_state``.
    ``solver`` accepts only ``"adam"``; scikit-learn's ``early_stopping``, ``momentum`` and the ``sgd``/``lbfgs``
    solvers are not offered (an error names them).
:class:`TorchLogisticRegression` (scikit-learn's L2 objective ``C * sum(log-loss) + ||w||^2 / 2``, intercept not
    penalised): ``C``, ``max_iter`` (L-BFGS iterations), ``tol``, ``fit_intercept``, ``random_state``. ``solver``
    accepts scikit-learn's names (lbfgs, newton-cg, newton-cholesky, sag, saga, liblinear) because the objective
    is strictly convex: every solver reaches the same optimum; the PyTorch model always minimises it with
    ``torch.optim.LBFGS`` (strong Wolfe line search) and records that in ``optimizer_``.

Both add ``device`` (``"cpu"`` default, ``"cuda"``/``"cuda:N"`` where a GPU answers, else a clear error) and
compute in float32. ``random_state`` seeds weight initialisation and batch order with a private
``torch.Generator``, so a fit is deterministic on the CPU and does not touch the global torch seed.
``n_parameters()`` and ``flops_per_sample()`` are read from the fitted ``nn.Module`` itself (see
:mod:`mlee.runs.complexity`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

_ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
_SKLEARN_LR_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga", "liblinear")


def torch_device(device: str) -> Any:
    """The ``torch.device`` for ``device``; :class:`ValueError` saying what to do when no such GPU answers."""
    import torch

    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"invalid device {device!r} ({exc}); use 'cpu' or 'cuda' / 'cuda:N'") from None
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise ValueError(f"device {device!r} is not supported; use 'cpu' or 'cuda' / 'cuda:N'")
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ValueError(f"device {device!r}: no CUDA GPU answers (torch {torch.__version__} is {build}). Use "
                         f"--device cpu, or on a machine with an NVIDIA GPU install a CUDA build of PyTorch "
                         f"(see docs/how-to/backends.md).")
    index = dev.index or 0
    if index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) answer")
    return dev


_WARM: set[str] = set()


def warm_up(device: str = "cpu") -> None:
    """Fit both models once on four rows, once per process and device, so that PyTorch's one-time costs (lazy
    imports on the first optimiser step, kernel and allocator set-up; seconds on a small machine) are not
    measured as part of the first experiment's fit."""
    if device in _WARM:
        return
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]], dtype=np.float32)
    y = np.array([0, 1, 0, 1])
    TorchLogisticRegression(max_iter=2, device=device).fit(X, y).predict(X)
    TorchMLPClassifier(hidden_layer_sizes=(2,), max_iter=2, device=device).fit(X, y).predict(X)
    _WARM.add(device)


def _activation(name: str) -> Any:
    import torch.nn as nn

    return {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "identity": nn.Identity}[name]()


class _TorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared fit/predict plumbing: label encoding, float32 tensors on ``device``, softmax/sigmoid outputs."""

    _count_output_activation = False

    def _layer_sizes(self, n_features: int, n_outputs: int) -> list[int]:
        raise NotImplementedError

    def _hidden_activation(self) -> str:
        return "identity"

    def _build(self, n_features: int, n_outputs: int, generator: Any) -> Any:
        """``nn.Sequential`` of Linear layers (Glorot-uniform initialisation as scikit-learn's MLP) with the hidden
        activation between them, created on the CPU from ``generator`` and then moved to the device."""
        import torch
        import torch.nn as nn

        sizes = self._layer_sizes(n_features, n_outputs)
        layers: list[Any] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            with torch.random.fork_rng(devices=[]):  # nn.Linear's own initialisation draws from the global RNG
                linear = nn.Linear(n_in, n_out, bias=self._bias())
            factor = 2.0 if self._hidden_activation() == "logistic" else 6.0
            bound = math.sqrt(factor / (n_in + n_out))
            with torch.no_grad():
                linear.weight.uniform_(-bound, bound, generator=generator)
                if linear.bias is not None:
                    linear.bias.uniform_(-bound, bound, generator=generator)
            layers.append(linear)
            if i < len(sizes) - 2:
                layers.append(_activation(self._hidden_activation()))
        return nn.Sequential(*layers).to(self.device_)

    def _bias(self) -> bool:
        return True

    def _prepare_fit(self, X: Any, y: Any) -> tuple[Any, Any, Any]:
        import torch

        X, y = check_X_y(X, y, accept_sparse=False, dtype=np.float32)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y; got {len(self.classes_)}")
        self.n_features_in_ = X.shape[1]
        self.device_ = torch_device(self.device)
        seed = 0 if self.random_state is None else int(self.random_state)
        generator = torch.Generator().manual_seed(seed)
        n_outputs = 1 if len(self.classes_) == 2 else len(self.classes_)
        self.model_ = self._build(X.shape[1], n_outputs, generator)
        codes = self._encoder.transform(y)
        Xt = torch.as_tensor(X, device=self.device_)
        if n_outputs == 1:
            yt = torch.as_tensor(codes, dtype=torch.float32, device=self.device_).unsqueeze(1)
        else:
            yt = torch.as_tensor(codes, dtype=torch.long, device=self.device_)
        return Xt, yt, generator

    def _data_loss(self, logits: Any, target: Any) -> Any:
        import torch.nn.functional as F

        if logits.shape[1] == 1:
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.cross_entropy(logits, target)

    def _weights(self) -> list[Any]:
        import torch.nn as nn

        return [m.weight for m in self.model_ if isinstance(m, nn.Linear)]

    def _finish_fit(self) -> None:
        import torch

        self.model_.eval()
        if self.device_.type == "cuda":
            torch.cuda.synchronize(self.device_)  # the measured window must include the GPU's work

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(rows, classes)``, columns in ``classes_`` order."""
        import torch

        check_is_fitted(self, "model_")
        X = check_array(X, accept_sparse=False, dtype=np.float32)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features; {type(self).__name__} was fitted with "
                             f"{self.n_features_in_}")
        with torch.no_grad():
            logits = self.model_(torch.as_tensor(X, device=self.device_))
            if logits.shape[1] == 1:
                p = torch.sigmoid(logits)
                proba = torch.cat([1 - p, p], dim=1)
            else:
                proba = torch.softmax(logits, dim=1)
        return proba.cpu().numpy().astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (the most probable class)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def n_parameters(self) -> int:
        """Number of trained values (weights and biases) in the fitted ``nn.Module``."""
        check_is_fitted(self, "model_")
        return int(sum(p.numel() for p in self.model_.parameters()))

    def flops_per_sample(self) -> int:
        """Floating-point operations for one sample's forward pass: ``torch.utils.flop_counter`` counts the
        Linear layers' matrix products (``2 * n_in * n_out``); the MLP adds one per layer output for its
        activation, as :mod:`mlee.runs.complexity` counts scikit-learn's MLP."""
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        check_is_fitted(self, "model_")
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            self.model_(torch.zeros(1, self.n_features_in_, device=self.device_))
        layers = self.model_ if self._count_output_activation else self.model_[:-1]
        activations = sum(layer.out_features for layer in layers if hasattr(layer, "out_features"))
        return int(counter.get_total_flops() + activations)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle with the model on the CPU (what ``model_size_bytes`` measures and what loads anywhere)."""
        state = dict(self.__dict__)
        if "model_" in state:
            import copy

            state["model_"] = copy.deepcopy(state["model_"]).cpu()
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import torch

        self.__dict__.update(state)
        if "device_" in state:
            self.device_ = torch.device("cpu")


class TorchMLPClassifier(_TorchClassifier):
    """Multilayer Perceptron in PyTorch, trained with Adam on mini-batches (see the module docstring)."""

    _count_output_activation = True

    def __init__(self, hidden_layer_sizes: tuple[int, ...] = (100,), activation: str = "relu",
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate_init: float = 0.001, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | None = None, tol: float = 1e-4, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, device: str = "cpu") -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.device = device

    def _layer_sizes(self, n_features: int, n_outputs: int) -> list[int]:
        hidden = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, int) else self.hidden_layer_sizes
        return [n_features, *[int(h) for h in hidden], n_outputs]

    def _hidden_activation(self) -> str:
        return self.activation

    def _check(self) -> None:
        if self.solver != "adam":
            raise ValueError(f"TorchMLPClassifier: solver={self.solver!r} is not offered; only 'adam' (scikit-learn's "
                             f"default). Use --backend sklearn for 'sgd' or 'lbfgs'.")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"TorchMLPClassifier: activation={self.activation!r}; choose one of "
                             f"{', '.join(_ACTIVATIONS)}")

    def fit(self, X: Any, y: Any) -> "TorchMLPClassifier":
        """Train on ``X`` (rows x features) and labels ``y``; sets ``loss_curve_`` (mean epoch loss) and
        ``n_iter_`` (epochs run)."""
        import torch

        self._check()
        Xt, yt, generator = self._prepare_fit(X, y)
        n = Xt.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else max(1, min(int(self.batch_size), n))
        optimiser = torch.optim.Adam(self.model_.parameters(), lr=self.learning_rate_init,
                                     betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        weights = self._weights()
        self.loss_curve_: list[float] = []
        best, stale = math.inf, 0
        self.model_.train()
        for _epoch in range(int(self.max_iter)):
            order = torch.randperm(n, generator=generator).to(self.device_) if self.shuffle else None
            total = 0.0
            for start in range(0, n, batch):
                rows = order[start:start + batch] if order is not None else slice(start, start + batch)
                xb, yb = Xt[rows], yt[rows]
                optimiser.zero_grad()
                loss = self._data_loss(self.model_(xb), yb)
                penalty = 0.5 * self.alpha * sum((w * w).sum() for w in weights) / xb.shape[0]
                (loss + penalty).backward()
                optimiser.step()
                total += float(loss.detach() + penalty.detach()) * xb.shape[0]
            epoch_loss = total / n
            self.loss_curve_.append(epoch_loss)
            if epoch_loss > best - self.tol:
                stale += 1
            else:
                stale = 0
            best = min(best, epoch_loss)
            if stale > self.n_iter_no_change:
                break
        self.n_iter_ = len(self.loss_curve_)
        self._finish_fit()
        return self


class TorchLogisticRegression(_TorchClassifier):
    """L2-regularised (multinomial) logistic regression in PyTorch, minimised with L-BFGS (see the module
    docstring)."""

    def __init__(self, C: float = 1.0, solver: str = "lbfgs", max_iter: int = 100, tol: float = 1e-4,
                 fit_intercept: bool = True, random_state: int | None = None, device: str = "cpu") -> None:
        self.C = C
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.device = device

    def _layer_sizes(self, n_features: int, n_outputs: int) -> list[int]:
        return [n_features, n_outputs]

    def _bias(self) -> bool:
        return bool(self.fit_intercept)

    def _build(self, n_features: int, n_outputs: int, generator: Any) -> Any:
        import torch

        model = super()._build(n_features, n_outputs, generator)
        with torch.no_grad():  # start at zero, as scikit-learn does: the optimum does not depend on the start
            for p in model.parameters():
                p.zero_()
        return model

    def fit(self, X: Any, y: Any) -> "TorchLogisticRegression":
        """Minimise ``mean(log-loss) + ||w||^2 / (2 C rows)`` (scikit-learn's objective divided by ``C rows``)
        with L-BFGS; sets ``n_iter_`` and ``optimizer_``."""
        import torch

        if self.solver not in _SKLEARN_LR_SOLVERS:
            raise ValueError(f"TorchLogisticRegression: solver={self.solver!r}; scikit-learn's names are accepted "
                             f"({', '.join(_SKLEARN_LR_SOLVERS)}) and all minimise the same objective with L-BFGS")
        if not self.C > 0:
            raise ValueError(f"TorchLogisticRegression: C must be positive, got {self.C!r}")
        Xt, yt, _ = self._prepare_fit(X, y)
        weight = self._weights()[0]
        scale = 1.0 / (2.0 * float(self.C) * Xt.shape[0])
        optimiser = torch.optim.LBFGS(self.model_.parameters(), lr=1.0, max_iter=int(self.max_iter),
                                      tolerance_grad=float(self.tol) * 1e-2, tolerance_change=1e-12,
                                      history_size=20, line_search_fn="strong_wolfe")

        def closure() -> Any:
            optimiser.zero_grad()
            loss = self._data_loss(self.model_(Xt), yt) + scale * (weight * weight).sum()
            loss.backward()
            return loss

        self.model_.train()
        optimiser.step(closure)
        self.n_iter_ = int(optimiser.state[optimiser._params[0]].get("n_iter", 0))
        self.optimizer_ = "torch.optim.LBFGS"
        self._finish_fit()
        return self
