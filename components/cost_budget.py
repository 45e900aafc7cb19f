"""Monthly AWS Budgets cost budget for one environment, alerting on actual and forecast spend."""

from __future__ import annotations

from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from settings.sections import AlertingSettings

BUDGET_TAGS = ("Environment", "Service")


class MonthlyCostBudget(Construct):
    """Cost budget scoped to this environment's cost allocation tags; alerts go to the warning topic."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alerting: AlertingSettings,
        tags: dict[str, str],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, id_)
        subscriber = budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=percentage,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=[subscriber],
            )
            for kind, percentage in [("ACTUAL", p) for p in alerting.budget_alert_percentages] + [("FORECASTED", 100)]
        ]
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=alerting.monthly_budget_usd, unit="USD"),
                # Spend of resources carrying both tags. The tags must be activated as cost allocation tags
                # (Billing console) before Budgets can filter on them.
                filter_expression=budgets.CfnBudget.ExpressionProperty(
                    and_=[
                        budgets.CfnBudget.ExpressionProperty(
                            tags=budgets.CfnBudget.TagValuesProperty(
                                key=key, values=[tags[key]], match_options=["EQUALS"]
                            )
                        )
                        for key in BUDGET_TAGS
                    ]
                ),
            ),
            notifications_with_subscribers=notifications,
        )
