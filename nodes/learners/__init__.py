"""The learners: classify, regress, gesture (DTW) and cluster, with one shared workflow; and a
neuron that learns one example at a time, for teaching."""
from . import classify, cluster, gesture, neuron, regress  # noqa: F401 (registers the node types)
