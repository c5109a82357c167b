"""The commands of postsched's command line, grouped by what the officer is doing."""
