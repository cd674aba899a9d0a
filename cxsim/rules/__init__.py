"""Behavioural rules: small pure functions on numpy arrays, one module per mechanism."""
