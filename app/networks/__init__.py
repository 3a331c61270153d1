"""Regional networks of central authorities and prosecutors (reference data)."""
