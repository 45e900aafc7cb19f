"""The rule library: cdk-nag packs (PCI DSS v4.0.1 included), the acknowledgement helper and the reading of
reports. Used by constructs and stacks; imports nothing of theirs."""
