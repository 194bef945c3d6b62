"""Pulumi program of a departments stack: every object comes from govcloud's desired state."""

from govcloud.app import stacks

stacks.run_departments_program()
