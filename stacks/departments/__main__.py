"""Pulumi program of a departments stack: every object comes from govcloud's desired state."""

from govcloud.cloud.edges import pulumi_program

pulumi_program.run_departments_program()
