"""Dated list prices the cost estimate uses, per region. Not fetched live: review before budgeting.

us-east-1 prices are AWS public on-demand list prices, reviewed 2026-11-29 (Fargate rates cross-checked
against public June 2026 price summaries). Add a region by copying the table with that region's prices.
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
    alarm_metric_month: float
    composite_alarm_month: float
    dashboard_month: float
    logs_ingest_gb: float
    logs_storage_gb_month: float
    s3_standard_gb_month: float
    firehose_gb: float
    secret_month: float


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
    alarm_metric_month=0.10,
    composite_alarm_month=0.50,
    dashboard_month=3.0,
    logs_ingest_gb=0.50,
    logs_storage_gb_month=0.03,
    s3_standard_gb_month=0.023,
    firehose_gb=0.029,
    secret_month=0.40,
)
PRICES: dict[str, PriceTable] = {
    "us-east-1": _US_EAST_1,
    # US West (Oregon) lists the same prices as US East (N. Virginia) for every line used here.
    "us-west-2": dataclasses.replace(_US_EAST_1, region="us-west-2"),
}
