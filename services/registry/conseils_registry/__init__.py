"""conseils registry: who is who in a territory.

Owns the territory's reference data (cities, neighbourhoods, themes), the
citizen councils, their members and contact cards (kept in a separate table),
the per-theme referents with their history, staff accounts, and the directory
of partners, schemes (dispositifs) and places. Every other service learns this
from the registry's events (`registry.councils`, `registry.members`, and the
compacted `registry.member-contacts`).
"""
