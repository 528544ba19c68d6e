"""The `hub` command line (typer + rich)."""
