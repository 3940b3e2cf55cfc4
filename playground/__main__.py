from playground.cli import entry

entry()
