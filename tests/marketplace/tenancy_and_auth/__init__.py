"""Tenancy and authentication: nobody sees or acts on another's resources; credentials."""
