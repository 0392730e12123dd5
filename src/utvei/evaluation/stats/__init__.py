"""Pure statistics for the evidence engine: no Django, no database. Each function takes plain numbers."""
