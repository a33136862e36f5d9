"""End-to-end journeys: a real server, a real database, headless Chromium."""
