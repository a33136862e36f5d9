"""Tipline: an official public channel and a confidential tip line."""
