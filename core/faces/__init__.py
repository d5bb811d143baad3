"""Face detection (YuNet, Haar fallback) and the similarity warp onto CelebA's 5-point template."""
