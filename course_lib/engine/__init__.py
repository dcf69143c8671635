"""The from-scratch NumPy engine: nothing under this package imports torch.

Modules: ``functional`` (forward/backward pairs), ``nn`` (layers), ``losses``, ``init``,
``optim``, ``schedules`` and ``train`` (the fit loop).
"""
