"""The learners: classify, regress, gesture (DTW) and cluster, with one shared workflow."""
from . import classify, cluster, gesture, regress  # noqa: F401 (registers the node types)
