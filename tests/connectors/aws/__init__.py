"""AWS connector tests (a package, so the moto sandbox is shared by these modules only)."""
