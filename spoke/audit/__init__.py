"""Known vulnerabilities: OSV records matched against versions, and the services that
serve them (spoke audit)."""
