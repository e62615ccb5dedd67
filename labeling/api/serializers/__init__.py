"""Response shapes of the labeling REST API, one module per resource."""
