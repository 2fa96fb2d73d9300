"""`python -m supplystream` runs the command line."""

from supplystream.cli import main

main()
