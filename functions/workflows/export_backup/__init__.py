"""Export backups: copy one image, or every image a filter matches, out to EC2 AMIs."""
