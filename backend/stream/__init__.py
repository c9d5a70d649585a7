"""The live stream: server-sent events of the event log, for every API worker."""
