"""Import and export of other datum formats (the seed layout, ...)."""
