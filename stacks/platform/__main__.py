"""Pulumi program of the platform stack: every object comes from govcloud's desired state."""

from govcloud.app import stacks

stacks.run_platform_program()
