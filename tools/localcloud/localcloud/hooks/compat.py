"""Closing moto's gaps for this stack (see shared/notes/moto-findings.md); one hook per gap."""
