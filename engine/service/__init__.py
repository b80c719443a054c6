"""The decision service (`policyctl api`): an ASGI application answering decisions over HTTP
from a bundle, swapped atomically when a new one is published. See README ("policyctl api")."""
