"""Ways of running training that need more than one plain process (distributed runs)."""
