"""What every app shares: the project's errors and how commands and the API show them."""
