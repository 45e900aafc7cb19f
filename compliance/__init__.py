"""cdk-nag packs and the acknowledgement helper."""
