"""Classes, WordNet, superclasses, datasets and their images."""
