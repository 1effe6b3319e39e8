"""Test helpers, one module per kind: git repositories, the Docker simulation, review repositories,
session workspaces, golden files. Test modules import from here, never from each other."""
