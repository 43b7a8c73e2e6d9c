"""The demo city's care homes (filled below)."""
