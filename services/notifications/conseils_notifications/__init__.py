"""conseils notifications service.

Owns the copies it needs of other services' data (contact cards, councils,
members, referents, instances, registrations, attendance), the members'
notification preferences and calendar-feed tokens, the deliveries (one row per
source event, member and channel), the reminders and staff checks, and the
emails (French templates, iCalendar invitations) sent over SMTP.
"""
