"""The fitted weights as attributes: ``coefs_`` and ``intercepts_``.

A fitted network keeps its weights in one flat buffer, the private
``_params``; the published ``coefs_`` and ``intercepts_`` are lists of views
into it.  A user may assign either list, or one of their arrays (as with
MLPClassifier): :func:`sync_weights` notices, and copies what was assigned
into a new buffer, validated first, before the estimator predicts, trains
or is pickled.
"""

import numpy as np

from ._network import Network
from ._training import DivergenceError, check_weights


def model_attributes(net, targets):
    """The fitted attributes that make a network predict: ``targets``
    (the subclass's, such as ``classes_``) and the network's."""
    return {
        **targets,
        "_layer_sizes": net.layer_sizes,
        "_activation": net.activation,
        "_members": net.members,
        **weight_attributes(net),
        "n_layers_": len(net.layer_sizes),
        "n_outputs_": net.n_outputs,
        "out_activation_": net.output,
    }


def weight_attributes(net):
    """``coefs_`` and ``intercepts_``: lists of views into ``net.params``,
    and those views once more, to tell later whether a user replaced one."""
    return {
        "_params": net.params,
        "coefs_": list(net.coefs),
        "intercepts_": list(net.intercepts),
        "_weight_views": (tuple(net.coefs), tuple(net.intercepts)),
    }


def fitted_network(estimator, params):
    """The fitted network of ``estimator`` (its layers, activation and
    output) on the parameter buffer ``params``."""
    return Network(
        estimator._layer_sizes,
        estimator._activation,
        estimator.out_activation_,
        params,
        members=estimator.__dict__.get("_members", 1),
    )


def copy_weights_into(estimator, net):
    """Copy ``estimator``'s ``coefs_`` / ``intercepts_`` into ``net``'s buffer,
    or raise a clear error if they do not fit its layers or are not finite."""
    sizes = net.layer_sizes
    for name, targets in (("coefs_", net.coefs), ("intercepts_", net.intercepts)):
        given = getattr(estimator, name, None)
        try:
            arrays = [np.asarray(a, dtype=net.params.dtype) for a in given]
        except (TypeError, ValueError):
            arrays = None
        shapes = [t.shape for t in targets]
        if arrays is None or [a.shape for a in arrays] != shapes:
            got = None if arrays is None else [a.shape for a in arrays]
            raise ValueError(
                f"{name} does not fit the network's layer sizes {sizes}: "
                f"expected arrays of shapes {shapes}, got {got}."
            )
        for target, array in zip(targets, arrays):
            target[...] = array
    try:
        check_weights(net.params)
    except DivergenceError:
        raise ValueError(
            "The assigned coefs_ / intercepts_ contain NaN or infinite values."
        ) from None
    return net


def sync_weights(estimator):
    """Make an assignment to ``coefs_`` / ``intercepts_`` (or to one of their
    items) take effect: when the lists no longer hold exactly the views into
    ``_params``, their arrays are copied into a new buffer, validated first."""
    fitted = estimator.__dict__
    views = fitted.get("_weight_views")
    if (
        views is not None
        and _same_items(fitted.get("coefs_"), views[0])
        and _same_items(fitted.get("intercepts_"), views[1])
    ):
        return
    blank = fitted_network(estimator, np.zeros_like(estimator._params))
    net = copy_weights_into(estimator, blank)
    fitted.update(weight_attributes(net))


def _same_items(items, views):
    """Whether the list ``items`` holds exactly the arrays ``views``."""
    return (
        isinstance(items, list)
        and len(items) == len(views)
        and all(a is b for a, b in zip(items, views))
    )
