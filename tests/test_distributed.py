"""Beyond one machine: grid search on a Dask cluster, out-of-core partial_fit.

Skipped only when the ``distributed`` extra (dask[array,distributed]) is missing.
The cluster is a LocalCluster of two single-threaded worker processes, bound
to 127.0.0.1 with the dashboard off: the estimator and the data really travel
to other processes, as they would on a remote cluster.
"""

import os
import urllib.error
import urllib.request
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.model_selection import GridSearchCV

from skann import ANNClassifier

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"hidden_size": [8, (8, 8)], "learning_rate": [1e-3, 1e-2]}


def _search(n_jobs):
    return GridSearchCV(
        ANNClassifier(max_iter=30, random_state=0), GRID, cv=3, n_jobs=n_jobs
    )


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        # distributed may warn about ports and event loops while starting up.
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    yield client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.close()
        cluster.close()


def test_cluster_binds_to_localhost_only(client):
    info = client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    assert len(info["workers"]) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in info["workers"])
    # Every listening socket of this process (scheduler, nannies, the
    # scheduler's HTTP endpoint) and of the worker processes is on 127.0.0.1.
    pids = [os.getpid(), *client.run(os.getpid).values()]
    listening = [
        conn.laddr.ip
        for pid in pids
        for conn in psutil.Process(pid).net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN
    ]
    assert len(listening) >= 5  # scheduler, HTTP, 2 nannies, 2 workers at least
    assert set(listening) == {"127.0.0.1"}
    # The HTTP endpoint answers health checks but serves no dashboard.
    port = info["services"]["dashboard"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10):
        pass
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10)


def test_grid_search_on_dask_equals_local_run(client):
    X, y = make_classification(
        n_samples=300, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    local = _search(n_jobs=1).fit(X, y)

    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_backend("dask"):
            remote = _search(n_jobs=-1).fit(X, y)

    # The fits ran on the cluster's workers (not silently in this process) ...
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    # ... and gave exactly the local results.
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.best_estimator_._params, local.best_estimator_._params
    )
    # The grid is not degenerate: its candidates score differently.
    assert np.unique(local.cv_results_["mean_test_score"]).size > 1


def _partial_fit_over(chunks, classes, **params):
    clf = ANNClassifier(hidden_size=6, random_state=0, **params)
    n = 0
    for X_chunk, y_chunk in chunks:
        clf.partial_fit(X_chunk, y_chunk, classes=classes)
        n += len(X_chunk)
    return clf, n


def _numpy_chunks(X, y, size):
    return [(X[i : i + size], y[i : i + size]) for i in range(0, len(X), size)]


@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_partial_fit_over_dask_blocks_equals_numpy_chunks(target):
    if target == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=230, n_features=5, n_classes=3, random_state=0
        )
        X, classes = X.astype(np.float64), None
    else:
        X, y = make_classification(
            n_samples=230, n_features=5, n_informative=3, n_classes=3, random_state=0
        )
        classes = np.unique(y)
    # 230 rows in blocks of 50: four full blocks and a short one.
    X_dask = da.from_array(X, chunks=(50, -1))
    y_dask = da.from_array(y, chunks=(50,) + y.shape[1:])
    assert X_dask.numblocks == (5, 1)

    def blocks():
        for i in range(X_dask.numblocks[0]):
            X_block, y_block = X_dask.blocks[i], y_dask.blocks[i]
            yield X_block.compute(), y_block.compute()

    if classes is None:  # multilabel: the indicator columns are the classes
        classes = np.arange(y.shape[1])
    on_dask, n_dask = _partial_fit_over(blocks(), classes)
    on_numpy, n_numpy = _partial_fit_over(_numpy_chunks(X, y, 50), classes)
    assert n_dask == n_numpy == len(X)
    np.testing.assert_array_equal(on_dask._params, on_numpy._params)
    assert on_dask.n_iter_ == 5 and on_dask.t_ == len(X)
    # One pass over all the data differs from a pass over its first block.
    first_only, _ = _partial_fit_over(_numpy_chunks(X[:50], y[:50], 50), classes)
    assert not np.allclose(first_only._params, on_dask._params)


def test_partial_fit_over_a_memmap(tmp_path):
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, random_state=0
    )
    X = X.astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    y_map = np.load(tmp_path / "y.npy", mmap_mode="r")
    assert isinstance(X_map, np.memmap) and not X_map.flags.writeable

    classes = np.array([0, 1])
    params = dict(learning_rate=0.05, batch_size=32)
    for epoch in range(3):  # several passes over the file, 100 rows at a time
        chunks = _numpy_chunks(X_map, y_map, 100)
        if epoch == 0:
            on_disk, _ = _partial_fit_over(chunks, classes, **params)
        else:
            for X_chunk, y_chunk in chunks:
                on_disk.partial_fit(X_chunk, y_chunk)
    in_memory, _ = _partial_fit_over(_numpy_chunks(X, y, 100) * 3, classes, **params)
    assert on_disk._params.dtype == np.float32  # float32 on disk, float32 weights
    np.testing.assert_array_equal(on_disk._params, in_memory._params)
    assert on_disk.score(X, y) > 0.8
