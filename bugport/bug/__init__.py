"""Bug reports: create/list/search, logs, network, comments, activity, export, share links."""
