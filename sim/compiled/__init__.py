"""Compiled kernels (numba) with their NumPy twins: the per-row loops the rules and the engine call, and the
PCG random streams. Below the rules and the engine; imports nothing of the model."""
