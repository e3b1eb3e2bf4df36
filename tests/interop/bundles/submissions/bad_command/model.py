"""A self-running submission whose metadata command has an unbalanced quote."""
