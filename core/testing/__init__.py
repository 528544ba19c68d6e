"""Test kits the hub ships so every connector gets the standard checks by registering."""
