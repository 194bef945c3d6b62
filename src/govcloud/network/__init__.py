"""Network subsystem: the flow matrix and zone firewalls (core, pure); Ansible inventory, runs and lab hosts (edges)."""
