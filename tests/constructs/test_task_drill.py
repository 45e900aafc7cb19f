"""components/task_drill.py: FIS stops one payment task, is halted by the page, and may act on this cluster only."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch

from components.task_drill import TaskStopExperiment
from tests.support.bare import bare_stack, one, resources, template
from tests.support.builders import load_balanced_service


def test_experiment_stops_one_task_and_halts_on_the_page() -> None:
    stack = bare_stack()
    service = load_balanced_service(stack)
    page = cloudwatch.Alarm(
        stack, "Page", metric=service.payments.service.metric_cpu_utilization(), threshold=1, evaluation_periods=1
    )
    TaskStopExperiment(
        stack, "TaskStopExperiment", cluster=service.payments.cluster, service=service.payments.service, stop_alarm=page
    )
    document = template(stack)
    experiment = one(document, "AWS::FIS::ExperimentTemplate")
    (target,) = experiment["Targets"].values()
    assert (target["ResourceType"], target["SelectionMode"]) == ("aws:ecs:task", "COUNT(1)")
    assert set(target["Parameters"]) == {"cluster", "service"}
    (action,) = experiment["Actions"].values()
    assert action["ActionId"] == "aws:ecs:stop-task"
    (page_id,) = resources(document, "AWS::CloudWatch::Alarm")
    assert experiment["StopConditions"] == [
        {"Source": "aws:cloudwatch:alarm", "Value": {"Fn::GetAtt": [page_id, "Arn"]}}
    ]
    (policy,) = [p for lid, p in resources(document, "AWS::IAM::ManagedPolicy").items() if lid.startswith("TaskStop")]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask"]
    (cluster_id,) = resources(document, "AWS::ECS::Cluster")
    assert statement["Condition"] == {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [cluster_id, "Arn"]}}}
