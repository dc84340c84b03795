"""Services: capacity primitives and the settings of each care setting."""
