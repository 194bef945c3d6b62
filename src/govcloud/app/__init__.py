"""The application layer: a :class:`~govcloud.app.workspace.Workspace` and the use cases every entry point calls.

Layer between the entry points (the CLI, the Pulumi programs, the Ansible inventory plugin) and the
subsystems' edges and cores. A use case reads through the workspace, calls the pure cores and the edges by
keyword and returns a typed result; printing and exit codes stay with the caller.
"""
