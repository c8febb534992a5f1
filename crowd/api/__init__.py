"""The crowd's REST API: workers with their answer counts and control accuracy."""
