"""Retention: keep each pipeline's newest images and exported AMIs, delete the rest, reap forgotten
builders."""
