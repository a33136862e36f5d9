"""Durable background jobs: a database-backed queue, periodic schedules and the ``tipline worker``."""
