"""The paper studies side by side, each a package over the one job driver (`driver`).

`reproduce` (the SFT-GAN paper), `architectures` (heat maps across CNN architectures),
`fill_in_the_blanks` (the Fill in the blanks paper), `gan_balance` (SFT-GAN recipe variants) and
`perception` (evaluating Perception Visualization decoders). Subpackages load on first use.
"""

import importlib

__all__ = ["architectures", "driver", "fill_in_the_blanks", "gan_balance", "perception",
           "reproduce"]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
