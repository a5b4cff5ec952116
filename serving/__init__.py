"""churnlens serving: the onnxruntime predictor and everything built on it. No torch, transformers or datasets."""
