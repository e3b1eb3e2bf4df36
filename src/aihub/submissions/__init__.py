"""Submissions: uploads, limits and final selection."""
