"""PCI DSS v4.0.1 requirements with an infrastructure aspect, and how this project evidences each.

`docs/PCI-DSS-4.0.1.md` is generated from this table and the pack (`make pci-doc`); tests check that every synth
rule, preflight check, verify check and test named here exists, that every rule of the pack is cited under each
requirement it names, and that the document is current. Kinds of evidence:

- synth rule: a rule of the PCI.DSS.401 pack (rules/pci_dss_401.py), run on every `cdk synth`;
- preflight / verify: a check of `make preflight` (before a deploy, in each region) or `make verify` (after);
- test: a test of the suite that proves a path end to end (tests/test_delivery_paths.py);
- AWS Config rule: an AWS Config managed rule that evaluates the deployed resource continuously, where the
  organization runs it (the recorder is checked by preflight; the rules themselves are the organization's);
- outside this app: who owns it (the application team, operations, the organization, AWS).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    kind: str
    ref: str


def rule(suffix: str) -> Evidence:
    return Evidence("synth rule", suffix)


def preflight(check: str) -> Evidence:
    return Evidence("preflight", check)


def verify(check: str) -> Evidence:
    return Evidence("verify", check)


def test(reference: str) -> Evidence:
    """`path::name` of a test, or of the matrix row the delivery-path test runs."""
    return Evidence("test", reference)


def config_rule(identifier: str) -> Evidence:
    return Evidence("AWS Config rule", identifier)


def outside(owner: str) -> Evidence:
    return Evidence("outside this app", owner)


@dataclass(frozen=True)
class Requirement:
    id: str
    summary: str
    evidence: tuple[Evidence, ...]


MATRIX_TEST = "tests/test_delivery_paths.py"
# Security Hub's PCI DSS v4.0.1 standard, as its ARNs end (`arn:aws:securityhub:REGION::standards/...`): the
# Governance stack enables it (components/governance.py), preflight looks for it (ops/governance.py).
PCI_DSS_STANDARD = "standards/pci-dss/v/4.0.1"
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("1.2.1", "Configuration standards for network security controls are defined and implemented", (
        rule("1.3-RestrictedInbound"), rule("1.3.2-RestrictedOutbound"), rule("2.2.1-DefaultSecurityGroupClosed"),
        config_rule("VPC_DEFAULT_SECURITY_GROUP_CLOSED"))),
    Requirement("1.2.7", "Network security control configurations are reviewed at least every six months", (
        preflight("AWS Config recorder"), outside("operations: the review itself; `make drift` shows any change"))),
    Requirement("1.3.1", "Inbound traffic to the CDE is restricted to what is necessary", (
        rule("1.3-RestrictedInbound"), rule("1.3.1-NoPublicIpOnTasks"))),
    Requirement("1.3.2", "Outbound traffic from the CDE is restricted to what is necessary", (
        rule("1.3.2-RestrictedOutbound"),)),
    Requirement("1.4.2", "Inbound traffic from untrusted networks to trusted networks is restricted", (
        rule("1.3-RestrictedInbound"),)),
    Requirement("1.4.1", "Network security controls are implemented between trusted and untrusted networks", (
        rule("1.3.1-NoPublicIpOnTasks"), rule("6.4.2-WafOnPublicAlb"))),
    Requirement("1.4.4", "System components that store cardholder data are not directly accessible from untrusted "
                "networks", (test(f"{MATRIX_TEST}::the tasks reach AWS through endpoints that let their calls through"),
                             outside("AWS: the ledger table and the audit buckets have no network interface; they "
                                     "are reached through VPC endpoints and IAM"))),
    Requirement("2.2.1", "Configuration standards are developed, implemented and maintained", (
        rule("2.2-HardenedContainers"), rule("2.2.1-DefaultSecurityGroupClosed"), preflight("AWS Config recorder"))),
    Requirement("2.2.6", "System security parameters are configured to prevent misuse", (
        rule("2.2-HardenedContainers"), config_rule("ECS_CONTAINERS_READONLY_ACCESS"),
        config_rule("ECS_CONTAINERS_NONPRIVILEGED"), config_rule("ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT"))),
    Requirement("3.2.1", "Account data storage is kept to a minimum", (
        outside("application team: the reference service stores no PAN; a real one must justify what it keeps"),)),
    Requirement("3.5.1", "PAN is rendered unreadable anywhere it is stored", (
        rule("3.5.1-CustomerManagedKeys"),
        outside("application team: field-level protection (truncation, tokenization) of any PAN it stores"))),
    Requirement("3.6.1", "Procedures protect cryptographic keys against disclosure and misuse", (
        rule("3.6.1-KeyCustodians"), rule("3.5.1-CustomerManagedKeys"),
        test(f"{MATRIX_TEST}::administrators cannot retire keys, change their policy or grant them freely"))),
    Requirement("3.6.1.2", "Secret and private keys are stored in one (or more) of the allowed forms at all times", (
        outside("AWS: KMS keys are generated and used only inside KMS's hardware security modules"),)),
    Requirement("3.6.1.3", "Access to cleartext key components is restricted to the fewest custodians necessary", (
        rule("3.6.1-KeyCustodians"),)),
    Requirement("3.7.4", "Keys are changed at the end of their cryptoperiod", (
        rule("3.7-KeyRotation"), config_rule("CMK_BACKING_KEY_ROTATION_ENABLED"))),
    Requirement("3.7.5", "Keys are retired or replaced when their integrity is weakened", (
        rule("3.6.1-KeyCustodians"), config_rule("KMS_CMK_NOT_SCHEDULED_FOR_DELETION"))),
    Requirement("3.7.7", "Unauthorized substitution of cryptographic keys is prevented", (
        rule("3.6.1-KeyCustodians"),)),
    Requirement("4.2.1", "Strong cryptography protects PAN during transmission over open, public networks", (
        rule("4.2.1-StrongTlsListener"), rule("4.2.1-TlsToTargets"), verify("HTTP redirects to HTTPS"),
        test(f"{MATRIX_TEST}::plain HTTP is refused by every bucket and topic"))),
    Requirement("5.2.1", "An anti-malware solution is deployed on all system components", (
        rule("5.2.1-RuntimeThreatDetection"), preflight("GuardDuty runtime monitoring"),
        verify("GuardDuty covers the tasks"), test(f"{MATRIX_TEST}::the execution role starts the task"))),
    Requirement("5.2.2", "The anti-malware solution detects, removes or blocks and contains malware", (
        rule("5.2.1-RuntimeThreatDetection"), preflight("GuardDuty runtime monitoring"),
        outside("operations: acting on GuardDuty findings (docs/RUNBOOK.md)"))),
    Requirement("5.3.1", "The anti-malware solution is kept current", (outside("AWS: GuardDuty's detections"),)),
    Requirement("5.3.2", "Periodic scans or continuous behavioral analysis are performed", (
        rule("5.2.1-RuntimeThreatDetection"), preflight("GuardDuty runtime monitoring"),
        verify("GuardDuty covers the tasks"))),
    Requirement("6.3.1", "Security vulnerabilities are identified and managed", (
        rule("6.3.3-ImageScanning"), preflight("ECR image scanning"),
        config_rule("ECR_PRIVATE_IMAGE_SCANNING_ENABLED"))),
    Requirement("6.3.3", "System components are protected from known vulnerabilities by installing patches", (
        rule("6.3.3-ImageScanning"), preflight("ECR image scanning"),
        outside("application team: rebuilding the image on a patched base when a scan finds a vulnerability"))),
    Requirement("6.4.1", "Public-facing web applications are protected against attacks on an ongoing basis", (
        rule("6.4.1-ManagedWafRules"), verify("WAF log events"))),
    Requirement("6.4.2", "An automated technical solution detects and prevents web-based attacks", (
        rule("6.4.2-WafOnPublicAlb"), rule("6.4.1-ManagedWafRules"), verify("WAF on the ALB"),
        config_rule("ALB_WAF_ENABLED"))),
    Requirement("7.2.1", "An access control model is defined and covers all access", (
        rule("7.2-JustifiedWildcards"), rule("7.2.1-NoFullAdministration"),
        config_rule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"))),
    Requirement("7.2.2", "Access is assigned on the basis of job function and least privilege", (
        rule("7.2-JustifiedWildcards"), rule("7.2.1-NoFullAdministration"),
        test(f"{MATRIX_TEST}::the task role allows what the service calls, nothing more"))),
    Requirement("7.2.5", "Application and system accounts have the least privileges necessary", (
        rule("7.2-JustifiedWildcards"), test(f"{MATRIX_TEST}::the task role cannot read or delete audit records"))),
    Requirement("8.3.2", "Strong cryptography renders authentication factors unreadable in transit and at rest", (
        rule("8.6.2-NoSecretsInEnvironment"), rule("3.5.1-CustomerManagedKeys"))),
    Requirement("8.6.2", "Passwords of application and system accounts are not hard coded", (
        rule("8.6.2-NoSecretsInEnvironment"), config_rule("ECS_NO_ENVIRONMENT_SECRETS"))),
    Requirement("8.6.3", "Passwords of application and system accounts are protected against misuse", (
        verify("processor credentials current"),
        outside("operations: rotating the processor credentials with the processor (docs/RUNBOOK.md)"))),
    Requirement("10.2.1", "Audit logs are enabled and active for all system components", (
        rule("10.2-NetworkTrafficLogged"), rule("10.2.1-ComponentsLogged"), rule("10.2.1-TrailRecordsEverything"),
        preflight("audit trail"), verify("flow-log objects"), verify("ALB access-log objects"),
        verify("WAF log events"), config_rule("VPC_FLOW_LOGS_ENABLED"), config_rule("ELB_LOGGING_ENABLED"))),
    Requirement("10.2.1.2", "Audit logs capture all actions taken with administrative access", (
        rule("10.2.1-TrailRecordsEverything"), preflight("audit trail"))),
    Requirement("10.2.1.5", "Audit logs capture all changes to identification and authentication credentials", (
        rule("10.2.1-TrailRecordsEverything"), preflight("audit trail"))),
    Requirement("10.2.2", "Audit logs record the details of each event", (
        rule("10.2.1-ComponentsLogged"),
        outside("AWS for the service logs' fields; application team for the service's own log lines"))),
    Requirement("10.3.1", "Read access to audit log files is limited to those with a job-related need", (
        test(f"{MATRIX_TEST}::the task role cannot read or delete audit records"),
        test(f"{MATRIX_TEST}::principals of other accounts get nothing"))),
    Requirement("10.3.2", "Audit log files are protected to prevent modification by individuals", (
        rule("10.3.2-AuditLogsUnerasable"), rule("10.3.3-AuditLogsLocked"), rule("10.3.4-TrailIntegrity"),
        verify("archive locked"),
        test(f"{MATRIX_TEST}::administrators cannot erase audit records or unprotect their buckets"))),
    Requirement("10.3.3", "Audit log files are promptly backed up to a secure, central store", (
        rule("10.3.3-AuditLogsLocked"), verify("archive stream delivers"), verify("canary replicated"),
        verify("replicas locked"))),
    Requirement("10.3.4", "File integrity monitoring or change detection is used on audit logs", (
        rule("10.3.4-TrailIntegrity"), preflight("audit trail"),
        config_rule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"),
        outside("operations: validating the trail's digests (aws cloudtrail validate-logs) raises no alert by "
                "itself; the app's own audit buckets rely on Object Lock and the erase-deny policy"))),
    Requirement("10.4.1", "Audit logs are reviewed at least once daily", (
        rule("10.4.1-TrailReviewedAutomatically"),
        outside("operations: the daily review of what the alarms raise"))),
    Requirement("10.4.1.1", "Automated mechanisms perform audit log reviews", (
        rule("10.4.1-TrailReviewedAutomatically"),)),
    Requirement("10.5.1", "Audit log history is retained for at least 12 months, three months immediately available", (
        rule("10.5.1-AuditLogRetention"), rule("10.3.2-AuditLogsUnerasable"),
        config_rule("CW_LOGGROUP_RETENTION_PERIOD_CHECK"))),
    Requirement("10.6.1", "System clocks and time are synchronized", (
        outside("AWS: Fargate tasks use the Amazon Time Sync Service"),)),
    Requirement("10.7.2", "Failures of critical security control systems are detected, alerted and addressed", (
        rule("10.7.2-UndeliveredAlertsKept"), rule("12.10.5-AlarmsCanNotify"), verify("archive stream delivers"),
        verify("change warnings delivered"), verify("alarm reaches a subscriber"))),
    Requirement("10.7.3", "Failures of critical security control systems are responded to promptly", (
        rule("10.7.2-UndeliveredAlertsKept"), outside("operations: the paging runbook (docs/RUNBOOK.md)"))),
    Requirement("11.3.1", "Internal vulnerability scans are performed at least once every three months", (
        rule("6.3.3-ImageScanning"), outside("security team: authenticated internal scans beyond container images"))),
    Requirement("11.4.1", "A penetration testing methodology is defined and performed", (
        outside("security team: penetration tests of the deployed service"),)),
    Requirement("11.5.1", "Intrusion-detection or intrusion-prevention techniques detect or prevent intrusions", (
        rule("5.2.1-RuntimeThreatDetection"), preflight("GuardDuty runtime monitoring"), rule("6.4.2-WafOnPublicAlb"))),
    Requirement("11.5.2", "A change-detection mechanism alerts on unauthorized modification of critical files", (
        rule("11.5.2-ChangeDetection"), preflight("AWS Config recorder"), verify("change warnings delivered"))),
    Requirement("12.10.1", "An incident response plan exists and is ready to be activated", (
        outside("organization: the incident response plan"),)),
    Requirement("12.10.5", "The incident response plan includes responding to alerts from security monitoring", (
        rule("12.10.5-AlarmsCanNotify"), preflight("paging subscribers"), verify("alarm reaches a subscriber"),
        verify("page reaches a subscriber"))),
)  # fmt: skip
