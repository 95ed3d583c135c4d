"""Tolerances that match the arithmetic being compared.

A model computes in float32; the same rows scored in different batch shapes, partitions, thread
counts or on another CPU take different kernel paths, so outputs may differ by a few float32 units
in the last place (one ulp of 0.6 is 6e-8). Compare such outputs with :data:`FLOAT32_OUTPUT_ATOL`.
Exact equality (or 1e-12) stays for what is computed the same way in float64 or is an integer count.
"""

FLOAT32_OUTPUT_ATOL = 1e-6
"""Absolute tolerance for probabilities and logits of a float32 model scored along different paths
(about 16 ulps of a value near 1: far below any change of a weight a test makes on purpose)."""
