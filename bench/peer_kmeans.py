"""The k-means peers as both benchmarks call them (bench/compare_peers.py, bench/peers.py).

Each takes points as an n x d array and returns (centres, labels, iterations):
labels a flat array of n centre indices, iterations None where the library
does not say. Their modules are imported on call, so a benchmark can leave out
a peer that is not installed.
"""
import numpy as np


def sklearn_kmeans(points, k, seed, n_init=1):
    """scikit-learn KMeans: greedy k-means++, up to 300 iterations, n_init seedings."""
    from sklearn.cluster import KMeans
    model = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed, max_iter=300).fit(points)
    return model.cluster_centers_, model.labels_, int(model.n_iter_)


def opencv_kmeans(points, k, seed):
    """OpenCV cv2.kmeans: k-means++, one attempt, 300 iterations or epsilon 1e-4."""
    import cv2
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, 300, 1e-4)
    _, labels, centres = cv2.kmeans(np.asarray(points, dtype=np.float32), k, None, criteria, 1,
                                    cv2.KMEANS_PP_CENTERS)
    return centres, labels.ravel(), None


def faiss_kmeans(points, k, seed, iterations=25):
    """FAISS faiss.Kmeans with its defaults (random initial centres, one run, 25
    iterations: it has no convergence test) but on every point, where by default
    it trains on a sample of 256 a centroid; labels from its index. Raises
    RuntimeError where FAISS refuses (e.g. fewer points than k)."""
    import faiss
    data = np.ascontiguousarray(points, dtype=np.float32)
    model = faiss.Kmeans(data.shape[1], k, niter=iterations, seed=seed, verbose=False,
                         max_points_per_centroid=data.shape[0] // k + 1)
    model.train(data)
    _, labels = model.index.search(data, 1)
    return model.centroids, labels.ravel(), iterations
