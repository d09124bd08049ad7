"""The image-factory command line and the local engine."""
