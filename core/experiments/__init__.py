"""Batch experiments: split selection, resumable units, torchrun, the study, natural-adversarial mining, results folders."""
