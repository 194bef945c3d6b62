"""govcloud: census, assessment, staged plans and provisioning for a city's e-government cloud."""

__version__ = "0.1.0"
