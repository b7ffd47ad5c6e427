"""A local server replaying GLPI's documented REST API responses, for tests."""
