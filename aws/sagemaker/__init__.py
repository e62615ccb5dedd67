"""Ground Truth's labeling-job and workteam operations (``SageMaker.*``), one module per area."""
