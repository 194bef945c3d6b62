"""Test support, outside the product wheel: the network-namespace lab and its Ansible connection plugin."""
