"""Controls outside the templates that an acknowledgement's reason may lean on, and what makes each one true.

A reason that names CloudTrail, GuardDuty, AWS Config, Security Hub or image scanning as a compensating control is
true only where that control runs: `make preflight` checks each in every region of the profile (ops/governance.py).
`tests/rules/test_controls.py` fails on a reason that names a detective service not listed here, or a rule of the
PCI DSS v4.0.1 pack that does not exist.
"""

from __future__ import annotations

from rules.pci_requirements import Evidence, preflight

# The AWS detective services a reason could cite (case-sensitive names as written in reasons).
DETECTIVE_SERVICES = ("CloudTrail", "GuardDuty", "AWS Config", "Security Hub", "Inspector", "Macie", "Detective",
                      "Access Analyzer", "image scanning")  # fmt: skip
# Each one this app verifies, by the preflight check that does.
VERIFIED: dict[str, Evidence] = {
    "CloudTrail": preflight("audit trail"),
    "GuardDuty": preflight("GuardDuty runtime monitoring"),
    "AWS Config": preflight("AWS Config recorder"),
    "Security Hub": preflight("Security Hub PCI DSS v4.0.1"),
    "image scanning": preflight("ECR image scanning"),
}
