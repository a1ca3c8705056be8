"""conseils_meetings: the meetings service.

Owns instance types (read from the territory file), instances and their
lifecycle, dossiers and their documents, self-registrations (participant or
observer) with quotas and waiting list, attendance, minutes, forum outcomes
(proposals and commitments) and the bilan. Knows councils, members and
referents only through a local read model built from registry events.
"""
