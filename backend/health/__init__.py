"""Health: a cheap liveness and database check for probes and the dashboard's banner."""
