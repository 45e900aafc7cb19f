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
    # Answers 200 over HTTPS while the task can serve; the ALB and the container check probe it (Route 53 fails
    # over on the ALB's healthy-target count). Never shed under load.
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
    # A request's headers and body arrive within this, or get 408; also the longest one may run when draining.
    request_timeout_seconds: int = 10
    # The load balancer closes a connection idle this long; the task keeps one longer, so that the load
    # balancer, not the task, closes it (a close racing a new request is a 502).
    load_balancer_idle_seconds: int = 60
    keep_alive_seconds: int = 65
    # Beyond these, a new connection or request gets an immediate 503 (fast failure, not a queue). 32 payments
    # in flight carry one core's ~3,000 payments/s at a ledger round trip up to 10 ms, and keep the accepted
    # ones' p99 under 200 ms when 512 connections overload one core (README, `make bench-service`).
    max_connections: int = 1000
    max_in_flight: int = 32
    # A payment's body is under 300 bytes. The WAF refuses a larger body at the edge (its body-size rule) and the
    # service refuses the same, so neither layer relies on the other.
    max_body_bytes: int = 1024

    @property
    def drain(self) -> Duration:
        return Duration.seconds(self.drain_seconds)

    @property
    def stop_timeout(self) -> Duration:
        return Duration.seconds(self.stop_timeout_seconds)

    @property
    def user(self) -> str:
        return f"{self.uid}:{self.gid}"

    @property
    def drain_quiet_seconds(self) -> float:
        """While draining, this long without a request means the load balancer has let the task go."""
        return 1.0

    def environment(
        self,
        *,
        service_name: str,
        environment: str,
        metrics_namespace: str,
        ledger_table: str,
        client_authentication: str,
        idempotency_hours: int,
    ) -> dict[str, str]:
        """The variables every task receives (the processor credentials arrive as the secret below)."""
        return {
            "SERVICE_NAME": service_name,
            "ENVIRONMENT": environment,
            "METRICS_NAMESPACE": metrics_namespace,
            "PORT": str(self.port),
            "TLS_DIR": f"{self.scratch_path}/tls",
            "DRAIN_SECONDS": str(self.drain_seconds),
            "DRAIN_QUIET_SECONDS": str(self.drain_quiet_seconds),
            "REQUEST_TIMEOUT_SECONDS": str(self.request_timeout_seconds),
            "KEEP_ALIVE_SECONDS": str(self.keep_alive_seconds),
            "MAX_CONNECTIONS": str(self.max_connections),
            "MAX_IN_FLIGHT": str(self.max_in_flight),
            "MAX_BODY_BYTES": str(self.max_body_bytes),
            "LEDGER": f"dynamodb:{ledger_table}",
            "CLIENT_AUTH": client_authentication,
            "IDEMPOTENCY_TTL_SECONDS": str(idempotency_hours * 3600),
        }


# The secret injected as an environment variable at start, read by the execution role.
PROCESSOR_SECRET_VARIABLE = "PAYMENT_PROCESSOR_CREDENTIALS"
# Business metrics the alarms read, in Embedded Metric Format on stdout (namespace METRICS_NAMESPACE,
# dimensions Service and Environment). An image that never emits PaymentsAccepted pages through
# `NoPayments` once it serves traffic.
BUSINESS_METRICS = ("PaymentsAccepted", "PaymentsRejected", "PaymentLatency")

# The AWS calls the service makes with the task role: it writes payments to the ledger table and reads an
# idempotency record back (each put of its TransactWriteItems is authorized as PutItem), through DynamoDB,
# which uses the table's KMS key on its behalf. It receives its secret from ECS at start and publishes
# metrics through its log lines. The task role allows exactly these (tests/support/paths/matrix.py, "the task
# role allows what the service calls").
LEDGER_TABLE_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem")
LEDGER_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")

CONTRACT = ContainerContract()
