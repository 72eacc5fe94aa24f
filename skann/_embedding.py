"""The estimators' input encodings: ``input_scaling``, a robust scaling with a
smooth clip of each column, and ``numerical_embedding``, the piecewise-linear
encoding (:mod:`skann._preprocessing` holds their maths).

Both are fitted with the network and belong to it: the first layer's weights
are learned on the scaled and encoded columns, so training that continues
keeps what was fitted, and predicting applies it.
"""

from scipy.sparse import issparse

from ._preprocessing import encode, fit_bins, fit_smooth_clip, layout, smooth_clip

# input_scaling bends the scaled columns towards this many interquartile
# ranges, far later than SmoothClipScaler (RealMLP's clip): a skewed column,
# such as an amount of money, keeps its bulk straight and only its outliers
# bend, which a linear relation to the target needs; the outliers stay bounded
# (docs/good_defaults.rst, "Input handling").
INPUT_CLIP = 10.0


def fit_embedding(estimator, X, sample_weight, continuing):
    """The fitted attributes of ``estimator``'s ``input_scaling`` and
    ``numerical_embedding``: the scaling and the bins, fitted on ``X`` (its
    rows weighted by ``sample_weight``; the bins on ``X`` scaled) or, when
    ``continuing``, those already fitted; ``None`` for what is off."""
    scaling = _fit_scaling(estimator, X, sample_weight, continuing)
    if scaling is not None:
        X = smooth_clip(X, scaling)
    return {"_scaling": scaling, **_fit_bins(estimator, X, sample_weight, continuing)}


def _fit_scaling(estimator, X, sample_weight, continuing):
    asked = estimator.input_scaling == "smooth_clip" or (
        estimator.input_scaling == "auto" and not issparse(X)
    )
    if continuing:
        scaling = estimator.__dict__.get("_scaling")
        if scaling is not None:
            _refuse_sparse(X, "input_scaling")
        if (scaling is not None) != asked:
            fitted = "with" if scaling is not None else "without"
            raise ValueError(
                f"Cannot continue training: the network was fitted {fitted} its "
                f"inputs smoothly clipped, but input_scaling="
                f"{estimator.input_scaling!r} on {'sparse' if issparse(X) else 'dense'}"
                f" X asks for it {'with' if asked else 'without'}. Restore "
                "input_scaling (a network fitted with it needs dense X), or set "
                "warm_start=False to start anew."
            )
        return scaling
    if not asked:
        return None
    _refuse_sparse(X, "input_scaling")
    return fit_smooth_clip(X, sample_weight, clip=INPUT_CLIP)


# numerical_embedding="auto" encodes the columns when the rows number at least
# this many per input the encoding makes: the rule of thumb for how many
# observations a model needs per parameter it fits.  On fewer rows, the
# encoding's wider first layer overfit (docs/good_defaults.rst).
ROWS_PER_ENCODED_INPUT = 10


def _fit_bins(estimator, X, sample_weight, continuing):
    auto = estimator.numerical_embedding == "auto"
    if continuing:
        bins = estimator.__dict__.get("_bins")
        fitted = None if bins is None else ("ple", bins["n_bins"])
        asked = estimator.numerical_embedding and (
            estimator.numerical_embedding,
            estimator.n_bins,
        )
        if auto and fitted in (None, ("ple", estimator.n_bins)):
            asked = fitted  # "auto" continues on what the first fit chose
        if fitted != asked:
            raise ValueError(
                f"Cannot continue training: the network was fitted "
                f"{_embedding_text(fitted)}, but the parameters ask for it "
                f"{_embedding_text(asked)}. Restore numerical_embedding and "
                "n_bins, or set warm_start=False to start anew."
            )
        return {"bin_edges_": estimator.__dict__.get("bin_edges_"), "_bins": bins}
    off = {"bin_edges_": None, "_bins": None}
    if estimator.numerical_embedding is None or (auto and issparse(X)):
        return off
    _refuse_sparse(X, "numerical_embedding")
    edges = fit_bins(X, estimator.n_bins, sample_weight)
    bins = layout(edges)
    if auto and X.shape[0] < ROWS_PER_ENCODED_INPUT * bins["feature"].size:
        return off
    return {"bin_edges_": edges, "_bins": dict(bins, n_bins=estimator.n_bins)}


def embed(X, attributes):
    """``X`` as the network sees it: smoothly clipped and encoded on the
    fitted ``attributes`` (``_scaling``, ``_bins``) that are not None."""
    scaling, bins = attributes.get("_scaling"), attributes.get("_bins")
    if scaling is not None:
        _refuse_sparse(X, "input_scaling")
        X = smooth_clip(X, scaling)
    if bins is None:
        return X
    _refuse_sparse(X, "numerical_embedding")
    return encode(X, bins)


def _refuse_sparse(X, parameter):
    if issparse(X):
        raise TypeError(
            f"A network with {parameter} on needs dense X: its encoding of 0 is not "
            "0, so sparse data would not stay sparse. Convert X with X.toarray(), "
            f"or set {parameter}=None (and refit)."
        )


def _embedding_text(embedding):
    if embedding is None:
        return "without numerical_embedding"
    return f"with numerical_embedding={embedding[0]!r} on n_bins={embedding[1]}"
