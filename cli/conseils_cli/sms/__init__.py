"""``conseils sms``: a local Kannel SMS gateway with a fake SMSC, for development and tests."""
