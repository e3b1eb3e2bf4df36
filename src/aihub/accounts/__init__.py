"""Accounts: users, organizations, teams, API tokens and roles."""
