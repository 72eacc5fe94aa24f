"""The estimators' ``numerical_embedding``: the piecewise-linear encoding of
the inputs inside the estimator (:mod:`skann._preprocessing` holds its
maths).

Its bins are fitted with the network and belong to it: the first layer's
weights are learned on the encoded columns, so training that continues keeps
the fitted bins, and predicting encodes on them.
"""

from scipy.sparse import issparse

from ._preprocessing import encode, fit_bins, layout


def fit_embedding(estimator, X, sample_weight, continuing):
    """The fitted attributes of ``estimator.numerical_embedding``: the bins,
    fitted on ``X`` (its rows weighted by ``sample_weight``) or, when
    ``continuing``, those already fitted; ``None`` without an embedding."""
    if continuing:
        bins = estimator.__dict__.get("_bins")
        fitted = None if bins is None else ("ple", bins["n_bins"])
        asked = estimator.numerical_embedding and (
            estimator.numerical_embedding,
            estimator.n_bins,
        )
        if fitted != asked:
            raise ValueError(
                f"Cannot continue training: the network was fitted "
                f"{_embedding_text(fitted)}, but the parameters ask for it "
                f"{_embedding_text(asked)}. Restore numerical_embedding and "
                "n_bins, or set warm_start=False to start anew."
            )
        return {"bin_edges_": estimator.__dict__.get("bin_edges_"), "_bins": bins}
    if estimator.numerical_embedding is None:
        return {"bin_edges_": None, "_bins": None}
    _refuse_sparse(X)
    edges = fit_bins(X, estimator.n_bins, sample_weight)
    return {
        "bin_edges_": edges,
        "_bins": dict(layout(edges), n_bins=estimator.n_bins),
    }


def embed(X, bins):
    """``X`` as the network sees it: encoded on ``bins``, if any."""
    if bins is None:
        return X
    _refuse_sparse(X)
    return encode(X, bins)


def _refuse_sparse(X):
    if issparse(X):
        raise TypeError(
            "numerical_embedding='ple' needs dense X: the encoding of 0 is not 0, "
            "so sparse data would not stay sparse. Convert X with X.toarray(), or "
            "set numerical_embedding=None."
        )


def _embedding_text(embedding):
    if embedding is None:
        return "without numerical_embedding"
    return f"with numerical_embedding={embedding[0]!r} on n_bins={embedding[1]}"
