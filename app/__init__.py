"""The NormLens web service: a FastAPI app over the pure-NumPy engine in `core`."""
