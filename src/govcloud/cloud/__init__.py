"""Cloud subsystem: desired Kubernetes objects and policies (core, pure); schema validation and Pulumi (edges)."""
