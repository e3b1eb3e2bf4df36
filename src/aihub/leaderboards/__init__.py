"""Leaderboards: ranking teams on the public and private splits of a phase."""
