"""The playground in a browser: `playground serve` (server.py) and the page it serves."""
