"""Background job kinds of the social-assistance line (registered on import)."""
