"""`python -m scheduler` runs the postsched command line."""

from scheduler.cli import main

main()
