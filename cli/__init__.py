"""The command line: ``labelloop COMMAND``, a front end beside the window (no Qt)."""
