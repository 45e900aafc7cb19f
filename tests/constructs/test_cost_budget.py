"""components/cost_budget.py: a monthly budget of this environment's tagged spend, alerting the warning topic."""

from __future__ import annotations

from aws_cdk import aws_sns as sns

from components.cost_budget import MonthlyCostBudget
from settings.limits import MAX_BUDGET_ALERT_PERCENTAGES, NOTIFICATIONS_PER_BUDGET
from settings.sections import AlertingSettings
from tests.support.bare import bare_stack, one, resources, template

ALERTING = AlertingSettings(monthly_budget_usd=750, budget_alert_percentages=(40, 90, 110))
TAGS = {"Environment": "test", "Service": "payments", "CostCenter": "x"}


def test_budget_alerts_at_each_threshold_and_at_100_percent_forecast() -> None:
    stack = bare_stack()
    MonthlyCostBudget(stack, "CostBudget", alerting=ALERTING, tags=TAGS, topic=sns.Topic(stack, "WarningTopic"))
    document = template(stack)
    budget = one(document, "AWS::Budgets::Budget")
    data = budget["Budget"]
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": ALERTING.monthly_budget_usd, "Unit": "USD"}
    tags = {e["Tags"]["Key"]: e["Tags"]["Values"] for e in data["FilterExpression"]["And"]}
    assert tags == {"Environment": ["test"], "Service": ["payments"]}
    notifications = budget["NotificationsWithSubscribers"]
    actual = sorted(
        n["Notification"]["Threshold"] for n in notifications if n["Notification"]["NotificationType"] == "ACTUAL"
    )
    assert actual == sorted(ALERTING.budget_alert_percentages)
    forecast = [
        n["Notification"]["Threshold"] for n in notifications if n["Notification"]["NotificationType"] == "FORECASTED"
    ]
    assert forecast == [100]
    (topic_id,) = resources(document, "AWS::SNS::Topic")
    for notification in notifications:
        assert notification["Subscribers"] == [{"Address": {"Ref": topic_id}, "SubscriptionType": "SNS"}]


def test_as_many_alert_percentages_as_the_settings_allow_fill_the_budgets_notification_quota() -> None:
    """AWS Budgets takes NOTIFICATIONS_PER_BUDGET notifications per budget; the forecast takes one of them."""
    stack = bare_stack()
    alerting = AlertingSettings(budget_alert_percentages=tuple(range(10, 10 * (MAX_BUDGET_ALERT_PERCENTAGES + 1), 10)))
    MonthlyCostBudget(stack, "CostBudget", alerting=alerting, tags=TAGS, topic=sns.Topic(stack, "WarningTopic"))
    assert len(one(template(stack), "AWS::Budgets::Budget")["NotificationsWithSubscribers"]) == NOTIFICATIONS_PER_BUDGET
