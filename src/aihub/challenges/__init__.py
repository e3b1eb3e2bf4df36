"""Challenges: texts, rules, visibility, phases, participant files and the hidden solution."""
