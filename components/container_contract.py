"""What an image must do to run as the payment service's container: the one place that states it.

The task definition (`PaymentFargateService`), the load balancer's health check, the alarms and the
README all read these values, and `tests/constructs/test_container_contract.py` starts the image the way Fargate
does and holds it to them. Any image that meets this contract can replace the reference service
(`container_image`, `health_check_command`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration

# The reference service's own check; used only when the app builds that image (no `container_image`).
REFERENCE_HEALTH_CHECK = ("CMD", "python", "-m", "payments_service.healthcheck")


@dataclass(frozen=True)
class ContainerContract:
    """The runtime terms between the task definition and the image it runs."""

    # HTTPS (any certificate: the ALB encrypts to targets but does not verify them) on this port.
    port: int = 8443
    # Answers 200 over HTTPS while the task can serve; the ALB, the container check and Route 53 probe it.
    health_path: str = "/health"
    # The task runs the image as this user, whatever the image's USER says.
    uid: int = 10001
    gid: int = 10001
    # The root filesystem is read-only; this is the only writable path. Fargate mounts it root-owned with mode
    # 0755 unless the image declares it with VOLUME over a directory the image gave the task's user.
    scratch_path: str = "/tmp"
    # After SIGTERM the image stops taking new work, finishes what it has and exits 0 within `drain`;
    # ECS sends SIGKILL at `stop_timeout`.
    drain_seconds: int = 25
    stop_timeout_seconds: int = 30

    @property
    def drain(self) -> Duration:
        return Duration.seconds(self.drain_seconds)

    @property
    def stop_timeout(self) -> Duration:
        return Duration.seconds(self.stop_timeout_seconds)

    @property
    def user(self) -> str:
        return f"{self.uid}:{self.gid}"

    def environment(self, *, service_name: str, environment: str, metrics_namespace: str) -> dict[str, str]:
        """The variables every task receives (the processor credentials arrive as the secret below)."""
        return {
            "SERVICE_NAME": service_name,
            "ENVIRONMENT": environment,
            "METRICS_NAMESPACE": metrics_namespace,
            "PORT": str(self.port),
            "TLS_DIR": f"{self.scratch_path}/tls",
            "DRAIN_SECONDS": str(self.drain_seconds),
        }


# The secret injected as an environment variable at start, read by the execution role.
PROCESSOR_SECRET_VARIABLE = "PAYMENT_PROCESSOR_CREDENTIALS"
# Business metrics the alarms read, in Embedded Metric Format on stdout (namespace METRICS_NAMESPACE,
# dimensions Service and Environment). An image that never emits PaymentsAccepted pages through
# `NoPayments` once it serves traffic.
BUSINESS_METRICS = ("PaymentsAccepted", "PaymentsRejected", "PaymentLatency")

# The AWS calls the reference service makes with the task role, as (action, resource ARN pattern): none. It
# receives its secret from ECS at start and publishes metrics through its log lines. The task role allows
# exactly these (tests/support/paths/matrix.py, "the task role allows what the service calls").
SERVICE_AWS_CALLS: tuple[tuple[str, str], ...] = ()

CONTRACT = ContainerContract()
