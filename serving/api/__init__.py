"""The HTTP API (Litestar) over the onnxruntime predictor."""
