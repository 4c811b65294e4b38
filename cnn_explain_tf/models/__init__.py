"""Keras model builders: classifier zoo, SFT layers and generators, discriminator, PV decoder."""

__all__: list[str] = []
