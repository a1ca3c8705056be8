"""The conseils website: one site at one address in front of the three
services, the local mail catcher of the demo, and the platform runner behind
`conseils up`."""
