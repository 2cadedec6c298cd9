"""Convalescence bases, programs, sessions and nominations."""
