"""Evaluation: jobs, workers, executors, metrics and the prediction-file scorer."""
