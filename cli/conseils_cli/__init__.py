"""The conseils command-line tool."""
