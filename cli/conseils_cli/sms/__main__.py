"""`python -m conseils_cli.sms start --state-dir DIR` (the same as `conseils sms`)."""

from conseils_cli.sms.commands import app

app()
