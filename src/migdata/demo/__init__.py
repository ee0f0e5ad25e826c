"""The main job on bundled data: ``migdata demo``."""
