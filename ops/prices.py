"""Dated list prices the cost estimate uses, one table per region. Not fetched live: review before budgeting.

Each table holds AWS's public on-demand list prices (USD) of one region, first tier of every tiered price,
reviewed on its date. Free tiers and free allowances (the first 50 Route 53 health checks on AWS endpoints,
DynamoDB's first 25 GB, 30-day trials) are not deducted. Add a region by copying a table with that region's
prices, and name in `assumed_from` every line not checked against a source for that region.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class PriceTable:
    region: str
    reviewed: str
    nat_gateway_hour: float
    nat_gateway_gb: float
    interface_endpoint_az_hour: float
    interface_endpoint_gb: float
    # AWS Network Firewall: per firewall endpoint (one per zone) and per GB it inspects.
    network_firewall_endpoint_hour: float
    network_firewall_gb: float
    public_ipv4_hour: float
    alb_hour: float
    alb_lcu_hour: float
    waf_web_acl_month: float
    waf_rule_month: float
    waf_million_requests: float
    fargate_vcpu_hour_x86: float
    fargate_gb_hour_x86: float
    fargate_vcpu_hour_arm: float
    fargate_gb_hour_arm: float
    # Fargate Spot is priced by supply; AWS quotes "up to 70 %" off on-demand. Assumed 70 % off here.
    fargate_spot_discount: float
    kms_key_month: float
    # Each of a key's first two automatic rotations adds this a month; later rotations add nothing.
    kms_rotation_month: float
    alarm_metric_month: float
    composite_alarm_month: float
    dashboard_month: float
    custom_metric_month: float
    logs_ingest_gb: float
    logs_storage_gb_month: float
    # Vended logs (VPC flow logs) delivered to S3, and their conversion to Apache Parquet.
    vended_logs_s3_gb: float
    flow_log_parquet_gb: float
    s3_standard_gb_month: float
    s3_standard_ia_gb_month: float
    s3_glacier_ir_gb_month: float
    # Cross-region replication: data transfer to another US region, and Replication Time Control.
    inter_region_transfer_gb: float
    s3_replication_time_control_gb: float
    firehose_gb: float
    secret_month: float
    # Route 53 is global: a health check on an AWS endpoint (also CALCULATED and CLOUDWATCH_METRIC checks).
    route53_health_check_month: float
    dynamodb_million_write_units: float
    dynamodb_storage_gb_month: float
    dynamodb_backup_gb_month: float
    config_item: float
    config_rule_evaluation: float
    securityhub_check: float
    guardduty_fargate_vcpu_month: float
    guardduty_million_management_events: float
    guardduty_log_gb: float
    # CloudTrail: the first copy of management events is free; each further trail recording them pays this.
    cloudtrail_copy_100k_events: float
    # Fields whose price was not checked against a source for this region: copied from `assumed_from`.
    assumed: tuple[str, ...] = ()
    assumed_from: str = ""


_US_EAST_1 = PriceTable(
    region="us-east-1",
    reviewed="2026-11-29",
    nat_gateway_hour=0.045,
    nat_gateway_gb=0.045,
    interface_endpoint_az_hour=0.01,
    interface_endpoint_gb=0.01,
    network_firewall_endpoint_hour=0.395,
    network_firewall_gb=0.065,
    public_ipv4_hour=0.005,
    alb_hour=0.0225,
    alb_lcu_hour=0.008,
    waf_web_acl_month=5.0,
    waf_rule_month=1.0,
    waf_million_requests=0.60,
    fargate_vcpu_hour_x86=0.04048,
    fargate_gb_hour_x86=0.004445,
    fargate_vcpu_hour_arm=0.03238,
    fargate_gb_hour_arm=0.00356,
    fargate_spot_discount=0.70,
    kms_key_month=1.0,
    kms_rotation_month=1.0,
    alarm_metric_month=0.10,
    composite_alarm_month=0.50,
    dashboard_month=3.0,
    custom_metric_month=0.30,
    logs_ingest_gb=0.50,
    logs_storage_gb_month=0.03,
    vended_logs_s3_gb=0.25,
    flow_log_parquet_gb=0.035,
    s3_standard_gb_month=0.023,
    s3_standard_ia_gb_month=0.0125,
    s3_glacier_ir_gb_month=0.004,
    inter_region_transfer_gb=0.02,
    s3_replication_time_control_gb=0.015,
    firehose_gb=0.029,
    secret_month=0.40,
    route53_health_check_month=0.50,
    dynamodb_million_write_units=0.625,
    dynamodb_storage_gb_month=0.25,
    dynamodb_backup_gb_month=0.20,
    config_item=0.003,
    config_rule_evaluation=0.001,
    securityhub_check=0.001,
    guardduty_fargate_vcpu_month=1.50,
    guardduty_million_management_events=4.00,
    guardduty_log_gb=1.00,
    cloudtrail_copy_100k_events=2.00,
)

# US West (Oregon): the ALB hour, the NAT gateway hour and Fargate's x86 vCPU and GB hours were checked against a
# published us-west-2 estimate; every other line is us-east-1's, not checked for us-west-2 (AWS lists several
# services at different prices in other regions, for example CloudWatch Logs ingestion in eu-west-1). The report
# names these lines.
_CHECKED_US_WEST_2 = {
    "region",
    "reviewed",
    "alb_hour",
    "nat_gateway_hour",
    "fargate_vcpu_hour_x86",
    "fargate_gb_hour_x86",
    "fargate_spot_discount",
    # Route 53 is a global service: one price.
    "route53_health_check_month",
    "assumed",
    "assumed_from",
}
PRICES: dict[str, PriceTable] = {
    "us-east-1": _US_EAST_1,
    "us-west-2": dataclasses.replace(
        _US_EAST_1,
        region="us-west-2",
        assumed=tuple(f.name for f in dataclasses.fields(PriceTable) if f.name not in _CHECKED_US_WEST_2),
        assumed_from="us-east-1",
    ),
}
