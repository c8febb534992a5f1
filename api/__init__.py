"""The project-wide REST shell: the router, token login, the OpenAPI schema and its docs page,
and what every app's API shares (visibility, filters, pagination). Each app holds its own
viewsets and serializers in `<app>/api/`."""
