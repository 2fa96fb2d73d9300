"""`python -m supplystream` runs the command line."""

from supplystream_app.cli import main

main()
