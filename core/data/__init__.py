"""CelebA data: attribute names, the official layout, safe image decoding, cached arrays, bundled portraits."""
