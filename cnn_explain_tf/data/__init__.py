"""tf.data pipelines: embedded offline datasets with masks, tfds and image-folder loaders."""

__all__: list[str] = []
