"""The shell around the domain: configuration, channels, the daemon and the command line."""
