"""The image pipeline: AMI or image -> image builder -> snapshot -> optional AMI export."""
