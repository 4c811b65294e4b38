"""Shared fixtures of the runner tests (Beam, Ray): a tiny classifier and an image folder."""

from dataset_folders import folder, model, model_path  # noqa: F401 (fixtures)
