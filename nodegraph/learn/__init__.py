"""Learning helpers for the learner nodes: fitting (scikit-learn), prediction from
fitted parameters (numpy only), dynamic time warping, and a training worker process.

No GUI here, and nothing that turns bytes into objects: models travel as named
numpy arrays plus plain JSON.
"""
