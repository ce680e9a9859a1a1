"""`dae compare` side by side: engines, the interleaved runner, reports."""
