"""HTTP routers of the MLflow API: thin, MLflow-shaped, each call one service method."""
