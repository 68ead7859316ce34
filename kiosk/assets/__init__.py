"""Files shipped inside the package (fonts), found with importlib.resources so they work installed too."""
